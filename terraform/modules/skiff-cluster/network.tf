# Two security groups. The load balancer's accepts the listener ports from the allowed
# sources and may only talk to the nodes' API port. The nodes' accepts the API port from the
# load balancer, from each other (followers forward to the leader, joins go through the API)
# and from the allowed sources; the Raft port only from each other. Nodes reach AWS APIs and
# package repositories over HTTPS through the VPC and the S3/DynamoDB prefix lists only
# (security.tf; instance metadata and the VPC resolver are not filtered).

locals {
  lb_ports = local.https_enabled ? [var.http_port, var.https_port] : [var.http_port]

  # Every (listener port, source) pair allowed into the load balancer.
  lb_cidr_rules = { for pair in setproduct(local.lb_ports, var.allowed_cidr_blocks) : "${pair[0]}-${pair[1]}" => pair }
  lb_sg_rules   = { for pair in setproduct(local.lb_ports, var.allowed_security_group_ids) : "${pair[0]}-${pair[1]}" => pair }
}

resource "aws_security_group" "lb" {
  name        = "${local.name_prefix}-lb"
  description = "Skiff ${var.cluster_name}: load balancer"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${local.name_prefix}-lb" })
}

resource "aws_security_group" "node" {
  name        = "${local.name_prefix}-node"
  description = "Skiff ${var.cluster_name}: nodes"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${local.name_prefix}-node" })
}

resource "aws_vpc_security_group_ingress_rule" "lb_from_cidr" {
  for_each          = local.lb_cidr_rules
  security_group_id = aws_security_group.lb.id
  description       = "Clients to the load balancer"
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
  cidr_ipv4         = each.value[1]
}

resource "aws_vpc_security_group_ingress_rule" "lb_from_sg" {
  for_each                     = local.lb_sg_rules
  security_group_id            = aws_security_group.lb.id
  description                  = "Clients to the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = each.value[0]
  to_port                      = each.value[0]
  referenced_security_group_id = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "lb_to_nodes" {
  security_group_id            = aws_security_group.lb.id
  description                  = "Load balancer to the nodes' API port (traffic and /readyz checks)"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_security_group_ingress_rule" "api_from_lb" {
  security_group_id            = aws_security_group.node.id
  description                  = "API from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.lb.id
}

resource "aws_vpc_security_group_ingress_rule" "api_from_nodes" {
  security_group_id            = aws_security_group.node.id
  description                  = "API between nodes (forwarding to the leader, joins)"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_security_group_ingress_rule" "api_from_cidr" {
  for_each          = toset(var.allowed_cidr_blocks)
  security_group_id = aws_security_group.node.id
  description       = "API directly from allowed clients"
  ip_protocol       = "tcp"
  from_port         = var.api_port
  to_port           = var.api_port
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "api_from_sg" {
  for_each                     = toset(var.allowed_security_group_ids)
  security_group_id            = aws_security_group.node.id
  description                  = "API directly from allowed security groups"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "raft_from_nodes" {
  security_group_id            = aws_security_group.node.id
  description                  = "Raft RPC between nodes only"
  ip_protocol                  = "tcp"
  from_port                    = var.raft_port
  to_port                      = var.raft_port
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_nodes" {
  for_each                     = toset([tostring(var.api_port), tostring(var.raft_port)])
  security_group_id            = aws_security_group.node.id
  description                  = "API and Raft to the other nodes"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.node.id
}

# The nodes' HTTPS egress (AWS APIs, package repositories) is in security.tf: the VPC CIDR and
# the S3 and DynamoDB prefix lists, not the internet.
