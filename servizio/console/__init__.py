"""The console: the register's web pages for the authority's people (Direttore Sanitario,
CUP office, Ufficio di Pubblica Tutela), served by `registro serve` under `/console`."""
