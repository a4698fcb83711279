#!/usr/bin/env bash
# Offline checks of the Terraform tree and the packaging it deploys; exits non-zero on any
# failure and ends with "terraform checks: N passed, M failed". What it covers (and what
# only `terraform validate` catches) is in terraform/README.md, "Checks".
#   terraform/check.sh                        run everything (about 2 s)
#   SKIFF_TF_VALIDATE=1 terraform/check.sh    also run init/validate even if providers look unavailable
#   SKIFF_TF_VALIDATE=0 terraform/check.sh    never run init/validate
#   python3 terraform/check/tfcheck.py --print-policy | --render   show the IAM policy / user-data
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "error: terraform/check.sh needs python3" >&2; exit 1; }
exec python3 -B "$here/check/tfcheck.py" "$@"
