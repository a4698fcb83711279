# The nodes' role. Least privilege: the snapshot prefix of this cluster's bucket, its two
# tables, the one artifact object, the one secret parameter, and completing the lifecycle
# action of its own autoscaling group. Nothing is granted on "*".

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${local.name_prefix}-node"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
  tags               = local.tags
}

resource "aws_iam_instance_profile" "node" {
  name = "${local.name_prefix}-node"
  role = aws_iam_role.node.name
  tags = local.tags
}

data "aws_iam_policy_document" "node" {
  statement {
    sid       = "ListSnapshotPrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.snapshots.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.snapshot_prefix, "${var.snapshot_prefix}/*"]
    }
  }

  statement {
    sid = "ReadWriteSnapshots"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${aws_s3_bucket.snapshots.arn}/${var.snapshot_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.snapshot_kms_key_arn == null ? [] : [var.snapshot_kms_key_arn]
    content {
      sid       = "SnapshotEncryptionKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid = "StableAndDiscoveryTables"
    actions = [
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:Query",
    ]
    resources = [aws_dynamodb_table.stable.arn, aws_dynamodb_table.discovery.arn]
  }

  statement {
    sid       = "ReadArtifact"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${local.artifact_bucket}/${local.artifact_key}"]
  }

  dynamic "statement" {
    for_each = local.restore_enabled ? [local.restore_bucket] : []
    content {
      sid       = "ListRestoreSource"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${statement.value}"]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [local.restore_prefix, "${local.restore_prefix}/*"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.restore_enabled ? [local.restore_bucket] : []
    content {
      sid       = "ReadRestoreSource"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${statement.value}/${local.restore_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadClusterSecret"
    actions   = ["ssm:GetParameter"]
    resources = concat([local.secret_parameter_arn], local.acl_parameter_arns, local.tls_parameter_arns)
  }

  dynamic "statement" {
    for_each = var.cluster_secret_kms_key_arn == null ? [] : [var.cluster_secret_kms_key_arn]
    content {
      sid       = "DecryptClusterSecret"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "LeaveOnTermination"
    actions   = ["autoscaling:CompleteLifecycleAction"]
    resources = [local.asg_arn]
  }
}

resource "aws_iam_role_policy" "node" {
  name   = "skiff-node"
  role   = aws_iam_role.node.id
  policy = data.aws_iam_policy_document.node.json
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  count      = var.enable_ssm_session_manager ? 1 : 0
  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}
