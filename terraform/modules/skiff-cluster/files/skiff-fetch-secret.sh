#!/bin/bash
# skiff-fetch-secret: run by skiff-secret.service before every start of skiff.service.
# Reads the cluster secret from SSM Parameter Store (a SecureString, decrypted by SSM) and
# writes it to /etc/skiff/cluster-secret, owned by root, mode 0400. skiff.service receives
# it through LoadCredential=, so only the node process can read its copy, and a rotated
# secret takes effect at the next restart. The secret never passes through argv or the
# environment. Retries for about two minutes: at boot the network or the instance role's
# credentials may not be ready yet.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/skiff/aws-hooks.env

out=/etc/skiff/cluster-secret
umask 077
tmp=$(mktemp /etc/skiff/.cluster-secret.XXXXXX)
trap 'rm -f "$tmp"' EXIT

for attempt in $(seq 1 12); do
  if value=$(aws ssm get-parameter --region "$AWS_REGION" --name "$SECRET_PARAMETER" \
      --with-decryption --query Parameter.Value --output text); then
    if [ -z "$value" ]; then
      echo "skiff-fetch-secret: SSM parameter $SECRET_PARAMETER is empty" >&2
      exit 1
    fi
    printf '%s' "$value" >"$tmp"
    chmod 0400 "$tmp"
    mv -f "$tmp" "$out"
    exit 0
  fi
  echo "skiff-fetch-secret: attempt $attempt: cannot read $SECRET_PARAMETER, retrying in 10 s" >&2
  sleep 10
done
echo "skiff-fetch-secret: cannot read SSM parameter $SECRET_PARAMETER in $AWS_REGION:" \
  "check that it exists and that the instance role may read it" >&2
exit 1
