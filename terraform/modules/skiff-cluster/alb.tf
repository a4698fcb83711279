# Application load balancer in front of every node's API: any node serves any request
# (followers forward to the leader), so plain round robin is right. /readyz turns a node
# out of rotation while it has no leader or lags behind. With tls_parameter_prefix the nodes
# serve HTTPS, and the target group (traffic and /readyz checks) speaks HTTPS to them.

resource "aws_lb" "api" {
  name                       = "${local.name_prefix}-api"
  load_balancer_type         = "application"
  internal                   = var.lb_internal
  subnets                    = local.lb_subnet_ids
  security_groups            = [aws_security_group.lb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 60
  tags                       = local.tags
}

resource "aws_lb_target_group" "api" {
  name                 = "${local.name_prefix}-api"
  port                 = var.api_port
  protocol             = local.node_protocol
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/readyz"
    port                = "traffic-port"
    protocol            = local.node_protocol
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = local.tags
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.api.arn
  port              = var.http_port
  protocol          = "HTTP"

  # With HTTPS on the load balancer, plain HTTP only redirects to it (security.tf's
  # redirect_http_to_https); otherwise it serves the API.
  dynamic "default_action" {
    for_each = local.https_enabled && var.redirect_http_to_https ? [1] : []
    content {
      type = "redirect"
      redirect {
        port        = tostring(var.https_port)
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  dynamic "default_action" {
    for_each = local.https_enabled && var.redirect_http_to_https ? [] : [1]
    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.api.arn
    }
  }

  tags = local.tags
}

resource "aws_lb_listener" "https" {
  count             = local.https_enabled ? 1 : 0
  load_balancer_arn = aws_lb.api.arn
  port              = var.https_port
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }

  tags = local.tags
}

# An unhealthy target is a node failing /readyz: no leader, lagging, or its process down.
# One for a few minutes means the cluster runs with less fault tolerance than it should
# (or a replacement cannot catch up); the autoscaling group does not act on it (see
# compute.tf), so a person should.
resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${local.name_prefix}-unhealthy-hosts"
  alarm_description   = "Skiff cluster ${var.cluster_name}: at least one node has failed /readyz behind the load balancer for ${var.unhealthy_hosts_alarm_minutes} minutes. Check the target group's health, then the node (journalctl -u skiff) and GET /v1/status."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.unhealthy_hosts_alarm_minutes
  datapoints_to_alarm = var.unhealthy_hosts_alarm_minutes
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  # The load balancer reports the metric every minute while targets are registered.
  treat_missing_data = "missing"
  alarm_actions      = var.alarm_actions
  ok_actions         = var.alarm_actions

  dimensions = {
    LoadBalancer = aws_lb.api.arn_suffix
    TargetGroup  = aws_lb_target_group.api.arn_suffix
  }

  tags = local.tags
}
