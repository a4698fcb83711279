#!/bin/bash
# skiff-lifecycle: run by skiff-lifecycle.service on every node. When the autoscaling group
# starts terminating this instance, its termination lifecycle hook holds the instance in
# Terminating:Wait and instance metadata reports target-lifecycle-state=Terminated. The script
# then marks the stop as a termination (the file "terminating" in the node's data directory)
# and stops the service. On that SIGTERM the node itself leaves the cluster: a leader hands
# leadership over, the node has the leader remove it from the configuration (unless that
# would leave fewer than --min-voters voters) and deregisters from the discovery table
# (API.md §9). A plain `systemctl stop` or `restart` has no marker: the node keeps its place.
# Once the node has exited, the lifecycle action is completed so that the termination
# proceeds. If this script dies, the hook's timeout lets the termination proceed anyway.
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

imds() {
  local token
  token=$(curl -sf -m 2 -X PUT http://169.254.169.254/latest/api/token \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || return 1
  curl -sf -m 2 -H "X-aws-ec2-metadata-token: $token" \
    "http://169.254.169.254/latest/meta-data/$1"
}

leave() {
  local node_id data_dir instance_id
  node_id=$(sed -n 's/^SKIFF_ID=//p' "$NODE_ENV")
  data_dir=$(sed -n 's/^SKIFF_DATA_DIR=//p' "$NODE_ENV")
  instance_id=$(imds instance-id)
  log "instance $instance_id is terminating: node $node_id leaves the cluster"

  # The node removes a marker it finds at start, so a stop that does not happen never turns
  # a later restart into a leave.
  touch "$data_dir/terminating" || log "cannot create $data_dir/terminating: the node stops as if restarting"
  log "stopping skiff.service (the node hands leadership over and removes itself)"
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
