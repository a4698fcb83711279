# Shared lookups and names. Resource names derive from cluster_name so that two clusters
# can live in one account; the autoscaling group's name is computed here (not read from the
# resource) because the IAM policy needs it before the group exists.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# The latest Amazon Linux 2023 AMI, from the public SSM parameter AWS keeps for it (the AMI
# names themselves carry the kernel version, al2023-ami-2023.x.y-kernel-6.1-arm64, so a name
# filter has to guess it; "kernel-default" exists only in the parameter's name).
data "aws_ssm_parameter" "al2023_ami" {
  count = var.ami_id == null ? 1 : 0
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  name_prefix = "skiff-${var.cluster_name}"

  snapshot_bucket_name = coalesce(var.snapshot_bucket_name, "${var.cluster_name}-snapshots-${local.account_id}")
  stable_table_name    = "${local.name_prefix}-stable"
  discovery_table_name = "${local.name_prefix}-discovery"
  asg_name             = local.name_prefix
  lifecycle_hook_name  = "${local.name_prefix}-leave"

  # The key schema the DynamoDB stable store and discovery use (storage-dynamo issue #5):
  # partition key = cluster name (plus a record kind), sort key = node id / record name.
  table_hash_key          = "pk"
  table_range_key         = "sk"
  discovery_ttl_attribute = "expires_at"

  # s3://bucket/key -> bucket and key, for the artifact and the optional restore source.
  artifact_parts  = regex("^s3://([^/]+)/(.+)$", var.artifact_url)
  artifact_bucket = local.artifact_parts[0]
  artifact_key    = local.artifact_parts[1]

  restore_enabled = var.restore_from != ""
  restore_parts   = local.restore_enabled ? regex("^s3://([^/]+)/(.+)$", var.restore_from) : ["", ""]
  restore_bucket  = local.restore_parts[0]
  restore_prefix  = local.restore_parts[1]

  secret_parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(var.cluster_secret_parameter_name, "/")}"
  asg_arn              = "arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/${local.asg_name}"

  lb_subnet_ids = coalesce(var.lb_subnet_ids, var.subnet_ids)
  https_enabled = var.certificate_arn != null

  # insecure_value: the parameter is a public String, not a secret, and the AMI id should show in plans.
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023_ami[0].insecure_value

  tags = merge(var.tags, {
    "skiff:cluster" = var.cluster_name
  })
}
