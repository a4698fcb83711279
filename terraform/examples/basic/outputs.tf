output "lb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.skiff.lb_dns_name
}

output "api_url" {
  description = "Client API base URL."
  value       = module.skiff.api_url
}

output "snapshots_url" {
  description = "Where this cluster's snapshots go (restore_from of a future recovery)."
  value       = module.skiff.snapshots_url
}

output "autoscaling_group_name" {
  description = "The nodes' autoscaling group."
  value       = module.skiff.autoscaling_group_name
}

output "target_group_arn" {
  description = "The load balancer's target group."
  value       = module.skiff.target_group_arn
}
