"""Validates a JSON document (stdin) against a JSON Schema file (argv[1]) with the
`jsonschema` package, the validator for the schema's own draft; exit 1 with every error."""
import json
import sys

import jsonschema

with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
instance = json.load(sys.stdin)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(instance), key=str)
for e in errors:
    path = "/".join(str(p) for p in e.absolute_path)
    print(f"{path or '(root)'}: {e.message}")
sys.exit(1 if errors else 0)
