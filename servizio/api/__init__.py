"""The internal API (`registro serve`): the register for the Direzione Sanitaria, the CUP
office and the Ufficio di Pubblica Tutela. `create_app(settings)` builds it."""
