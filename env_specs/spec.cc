// placeholder: replaced by the env spec parser
