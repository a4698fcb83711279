#!/bin/bash
# skiff-lifecycle: run by skiff-lifecycle.service on every node. When the autoscaling group
# starts terminating this instance, its termination lifecycle hook holds the instance in
# Terminating:Wait and instance metadata reports target-lifecycle-state=Terminated. The node
# then leaves the cluster gracefully: a leader hands leadership over, the node removes
# itself from the configuration, stops, and the lifecycle action is completed so that the
# termination proceeds. Each step is best effort: if one fails the next still runs, and if
# this script dies the hook's timeout lets the termination proceed anyway.
#   skiff-lifecycle          poll every 5 s until the instance terminates, leave, exit
#   skiff-lifecycle --once   check once (and leave if terminating)
set -uo pipefail
# The paths can be overridden for terraform/check.sh's test of this script.
HOOKS_ENV=${HOOKS_ENV:-/etc/skiff/aws-hooks.env}
NODE_ENV=${NODE_ENV:-/etc/skiff/skiff.env}
MARKER=${MARKER:-/run/skiff-leaving}
# shellcheck source=/dev/null
. "$HOOKS_ENV"

log() { echo "skiff-lifecycle: $*"; }
api="http://127.0.0.1:$API_PORT"
# With ACLs the token goes in a header file (never argv); with TLS the node serves HTTPS,
# checked against the cluster's CA (the node certificate must name 127.0.0.1).
api_opts=()
if [ -n "${ACL_PARAMETER:-}" ]; then
  api_opts+=(-H "@${ACL_HEADER_FILE:-/etc/skiff/acl-header}")
fi
if [ -n "${TLS_PARAMETER_PREFIX:-}" ]; then
  api="https://127.0.0.1:$API_PORT"
  api_opts+=(--cacert "${TLS_CA_FILE:-/etc/skiff/tls-ca.pem}")
fi

imds() {
  local token
  token=$(curl -sf -m 2 -X PUT http://169.254.169.254/latest/api/token \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || return 1
  curl -sf -m 2 -H "X-aws-ec2-metadata-token: $token" \
    "http://169.254.169.254/latest/meta-data/$1"
}

is_leader() {
  curl -sf -m 5 "${api_opts[@]}" "$api/v1/status" | grep -Eiq '"state"[[:space:]]*:[[:space:]]*"leader"'
}

leave() {
  local node_id instance_id
  node_id=$(sed -n 's/^SKIFF_ID=//p' "$NODE_ENV")
  instance_id=$(imds instance-id)
  log "instance $instance_id is terminating: node $node_id leaves the cluster"

  if is_leader; then
    log "transferring leadership"
    curl -sf -m 30 "${api_opts[@]}" -X POST "$api/v1/cluster/leadership-transfer" >/dev/null ||
      log "leadership transfer request failed"
    for _ in $(seq 1 30); do
      is_leader || break
      sleep 1
    done
  fi

  log "removing $node_id from the cluster configuration"
  curl -sf -m 30 "${api_opts[@]}" -X DELETE "$api/v1/cluster/members/$node_id" >/dev/null ||
    log "removal failed (the discovery table's grace period will clean up)"

  log "stopping skiff.service"
  systemctl stop skiff.service || log "stop failed"

  log "completing lifecycle action $LIFECYCLE_HOOK_NAME"
  aws autoscaling complete-lifecycle-action --region "$AWS_REGION" \
    --auto-scaling-group-name "$ASG_NAME" --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" \
    --instance-id "$instance_id" --lifecycle-action-result CONTINUE ||
    log "complete-lifecycle-action failed: the hook times out and termination proceeds"
}

# Returns 0 once this instance has left (or is leaving), 1 while it is in service.
check() {
  [ -e "$MARKER" ] && return 0
  [ "$(imds autoscaling/target-lifecycle-state)" = Terminated ] || return 1
  touch "$MARKER"
  leave
}

if [ "${1:-}" = --once ]; then
  check
  exit 0
fi
until check; do
  sleep 5
done
