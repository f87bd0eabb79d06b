"""Pubblica tutela: the citizens' reports and complaints and the regolamento's deadlines."""
