# The nodes: a launch template (Amazon Linux 2023, IMDSv2 only, encrypted gp3 root volume,
# user-data that installs and starts Skiff) and an autoscaling group of exactly node_count
# instances spread over the subnets. The termination lifecycle hook holds a terminating
# instance until skiff-lifecycle (a small service on the instance polling the instance
# metadata's target-lifecycle-state) has let the node leave the cluster.

resource "aws_launch_template" "node" {
  name                   = "${local.name_prefix}-node"
  image_id               = local.ami_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.node.id]
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.node.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      iops                  = var.root_volume_iops
      throughput            = var.root_volume_throughput
      encrypted             = true
      delete_on_termination = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/templates/user-data.sh.tftpl", {
    aws_region            = local.region
    cluster_name          = var.cluster_name
    artifact_url          = var.artifact_url
    java_package          = var.java_package
    java_opts             = var.java_opts
    api_port              = var.api_port
    raft_port             = var.raft_port
    discovery_table       = aws_dynamodb_table.discovery.name
    stable_table          = aws_dynamodb_table.stable.name
    snapshot_bucket       = aws_s3_bucket.snapshots.id
    snapshot_prefix       = var.snapshot_prefix
    restore_from          = var.restore_from
    log_archive           = var.log_archive ? "s3://${aws_s3_bucket.snapshots.id}/${var.snapshot_prefix}" : ""
    log_archive_interval  = var.log_archive_interval
    max_value_bytes       = var.max_value_bytes
    remove_dead_after     = var.remove_dead_after
    min_voters            = var.min_voters
    secret_parameter_name = var.cluster_secret_parameter_name
    acl_parameter_name    = local.acl_enabled ? var.acl_bootstrap_token_parameter_name : ""
    tls_parameter_prefix  = local.tls_enabled ? var.tls_parameter_prefix : ""
    asg_name              = local.asg_name
    lifecycle_hook_name   = local.lifecycle_hook_name
    skiff_unit            = chomp(file("${path.module}/files/skiff.service"))
    fetch_secret_script   = chomp(file("${path.module}/files/skiff-fetch-secret.sh"))
    lifecycle_script      = chomp(file("${path.module}/files/skiff-lifecycle.sh"))
  }))

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${local.name_prefix}-node" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${local.name_prefix}-node" })
  }

  tags = local.tags
}

resource "aws_autoscaling_group" "nodes" {
  name                = local.asg_name
  min_size            = var.node_count
  max_size            = var.node_count
  desired_capacity    = var.node_count
  vpc_zone_identifier = var.subnet_ids
  target_group_arns   = [aws_lb_target_group.api.arn]
  # EC2, not ELB: /readyz fails on every node while the cluster has no leader, and an
  # autoscaling group acting on that would replace the very nodes (and local logs) needed
  # to regain quorum. The load balancer uses /readyz only to route traffic.
  health_check_type         = "EC2"
  health_check_grace_period = 300

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  # Declared inline so that it exists before the first instance launches.
  initial_lifecycle_hook {
    name                 = local.lifecycle_hook_name
    lifecycle_transition = "autoscaling:EC2_INSTANCE_TERMINATING"
    default_result       = "CONTINUE"
    heartbeat_timeout    = var.lifecycle_hook_timeout_seconds
  }

  dynamic "tag" {
    for_each = local.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }

  # The role policy must exist before a node boots, or its first secret fetch and table
  # calls are denied.
  depends_on = [aws_iam_role_policy.node]

  lifecycle {
    precondition {
      condition     = var.min_voters <= var.node_count
      error_message = "min_voters (${var.min_voters}) must not exceed node_count (${var.node_count}): dead voters could then never be removed."
    }
  }
}
