#!/bin/bash
# skiff-fetch-secret: run by skiff-secret.service before every start of skiff.service.
# Reads the node's secrets from SSM Parameter Store (SecureStrings, decrypted by SSM) and
# writes each to a file under /etc/skiff owned by root, mode 0400:
#   cluster secret               SECRET_PARAMETER         -> /etc/skiff/cluster-secret
#   ACL management token         ACL_PARAMETER (optional) -> /etc/skiff/acl-bootstrap-token
#   TLS certificate, key and CA  TLS_PARAMETER_PREFIX/{cert,key,ca} (optional)
#                                                        -> /etc/skiff/tls-{cert,key,ca}.pem
# skiff.service receives them through LoadCredential=, so only the node process can read its
# copies, and a value rotated in SSM takes effect at the next restart. No secret passes
# through argv or the environment. Retries for about two minutes: at boot the network or the
# instance role's credentials may not be ready yet.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/skiff/aws-hooks.env

umask 077

# fetch PARAMETER FILE: the parameter's value into FILE (0400), atomically.
fetch() {
  local parameter=$1 out=$2 tmp value
  tmp=$(mktemp "/etc/skiff/.fetch.XXXXXX")
  for attempt in $(seq 1 12); do
    if value=$(aws ssm get-parameter --region "$AWS_REGION" --name "$parameter" \
        --with-decryption --query Parameter.Value --output text); then
      if [ -z "$value" ]; then
        rm -f "$tmp"
        echo "skiff-fetch-secret: SSM parameter $parameter is empty" >&2
        exit 1
      fi
      printf '%s' "$value" >"$tmp"
      chmod 0400 "$tmp"
      mv -f "$tmp" "$out"
      return 0
    fi
    echo "skiff-fetch-secret: attempt $attempt: cannot read $parameter, retrying in 10 s" >&2
    sleep 10
  done
  rm -f "$tmp"
  echo "skiff-fetch-secret: cannot read SSM parameter $parameter in $AWS_REGION:" \
    "check that it exists and that the instance role may read it" >&2
  exit 1
}

fetch "$SECRET_PARAMETER" /etc/skiff/cluster-secret

if [ -n "${ACL_PARAMETER:-}" ]; then
  fetch "$ACL_PARAMETER" /etc/skiff/acl-bootstrap-token
fi

if [ -n "${TLS_PARAMETER_PREFIX:-}" ]; then
  for part in cert key ca; do
    fetch "$TLS_PARAMETER_PREFIX/$part" "/etc/skiff/tls-$part.pem"
  done
fi
