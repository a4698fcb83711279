# Least privilege around the nodes (issue #13): the ACL management token and the TLS
# material come from SSM Parameter Store (fetched before every start by skiff-fetch-secret,
# written root-only, handed to the node as systemd credentials), and the nodes' egress is
# narrowed from "HTTPS anywhere" to the VPC CIDR (the other nodes, interface endpoints) and
# the AWS-managed prefix lists of S3 and DynamoDB (snapshots, artifact, dnf repositories of
# Amazon Linux 2023, which are S3 buckets; term/vote and discovery tables).

locals {
  acl_enabled = var.acl_bootstrap_token_parameter_name != null
  tls_enabled = var.tls_parameter_prefix != null

  acl_parameter_arns = local.acl_enabled ? ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(var.acl_bootstrap_token_parameter_name, "/")}"] : []
  tls_parameter_arns = local.tls_enabled ? [for p in ["cert", "key", "ca"] : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(var.tls_parameter_prefix, "/")}/${p}"] : []

  # What the load balancer speaks to the nodes: HTTPS once they serve it.
  node_protocol = local.tls_enabled ? "HTTPS" : "HTTP"

  interface_endpoint_services = var.create_interface_endpoints ? toset(["ssm", "autoscaling"]) : toset([])
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

data "aws_ec2_managed_prefix_list" "s3" {
  name = "com.amazonaws.${local.region}.s3"
}

data "aws_ec2_managed_prefix_list" "dynamodb" {
  name = "com.amazonaws.${local.region}.dynamodb"
}

resource "aws_vpc_security_group_egress_rule" "nodes_https_vpc" {
  security_group_id = aws_security_group.node.id
  description       = "HTTPS inside the VPC: interface endpoints (SSM, Auto Scaling)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "nodes_https_s3" {
  security_group_id = aws_security_group.node.id
  description       = "HTTPS to S3 (snapshots, the artifact, the OS package repositories)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.s3.id
}

resource "aws_vpc_security_group_egress_rule" "nodes_https_dynamodb" {
  security_group_id = aws_security_group.node.id
  description       = "HTTPS to DynamoDB (term and vote, discovery)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.dynamodb.id
}

resource "aws_security_group" "endpoints" {
  count       = var.create_interface_endpoints ? 1 : 0
  name        = "${local.name_prefix}-endpoints"
  description = "Skiff ${var.cluster_name}: VPC interface endpoints the nodes call"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${local.name_prefix}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_nodes" {
  count                        = var.create_interface_endpoints ? 1 : 0
  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from the nodes"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_endpoint" "interface" {
  for_each            = local.interface_endpoint_services
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true
  tags                = merge(local.tags, { Name = "${local.name_prefix}-${each.value}" })
}

resource "aws_vpc_endpoint" "gateway" {
  for_each          = length(var.gateway_endpoint_route_table_ids) > 0 ? toset(["s3", "dynamodb"]) : toset([])
  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.${each.value}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.gateway_endpoint_route_table_ids
  tags              = merge(local.tags, { Name = "${local.name_prefix}-${each.value}" })
}
