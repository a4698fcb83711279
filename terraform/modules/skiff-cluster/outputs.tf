output "lb_dns_name" {
  description = "DNS name of the load balancer in front of the nodes' API."
  value       = aws_lb.api.dns_name
}

output "lb_zone_id" {
  description = "Route 53 zone id of the load balancer, for an alias record."
  value       = aws_lb.api.zone_id
}

output "api_url" {
  description = "Base URL of the client API through the load balancer."
  value       = local.https_enabled ? "https://${aws_lb.api.dns_name}${var.https_port == 443 ? "" : ":${var.https_port}"}" : "http://${aws_lb.api.dns_name}${var.http_port == 80 ? "" : ":${var.http_port}"}"
}

output "target_group_arn" {
  description = "ARN of the target group (its health shows which nodes answer /readyz)."
  value       = aws_lb_target_group.api.arn
}

output "snapshot_bucket" {
  description = "Name of the S3 bucket holding the snapshots."
  value       = aws_s3_bucket.snapshots.id
}

output "snapshots_url" {
  description = "The nodes' --snapshots URL; give it to a new cluster's restore_from to rebuild from it."
  value       = "s3://${aws_s3_bucket.snapshots.id}/${var.snapshot_prefix}"
}

output "stable_table_name" {
  description = "DynamoDB table of the stable store (term and vote)."
  value       = aws_dynamodb_table.stable.name
}

output "discovery_table_name" {
  description = "DynamoDB discovery table."
  value       = aws_dynamodb_table.discovery.name
}

output "node_security_group_id" {
  description = "Security group of the nodes."
  value       = aws_security_group.node.id
}

output "lb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.lb.id
}

output "autoscaling_group_name" {
  description = "Name of the nodes' autoscaling group."
  value       = aws_autoscaling_group.nodes.name
}

output "node_role_arn" {
  description = "ARN of the nodes' IAM role."
  value       = aws_iam_role.node.arn
}

output "node_policy_json" {
  description = "The nodes' IAM policy document, as applied."
  value       = data.aws_iam_policy_document.node.json
}

output "unhealthy_hosts_alarm_arn" {
  description = "ARN of the CloudWatch alarm on unhealthy load balancer targets (nodes failing /readyz)."
  value       = aws_cloudwatch_metric_alarm.unhealthy_hosts.arn
}
