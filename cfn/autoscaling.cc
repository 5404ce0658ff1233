#include "cfn/autoscaling.h"

#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

// Seconds the target-tracking policy waits after a scale-in (or scale-out) activity before
// the next one, as Docker set them; AWS's defaults are 300 s, slow for a sudden load.
constexpr int kCooldownSeconds = 60;

// The cluster's name: x-aws-cluster (a name, or the part of its ARN after "cluster/"),
// else the Cluster resource (whose Ref is its name).
Json ClusterName(const Context& ctx) {
  const std::string& cluster = ctx.plan.ext.cluster;
  if (cluster.empty()) return Ref(kClusterId);
  const size_t slash = cluster.rfind('/');
  return slash == std::string::npos ? cluster : cluster.substr(slash + 1);
}

base::Status AddForService(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  const AutoscalingSpec& spec = *planned.ext.autoscaling;
  const std::string role_id = AutoScalingRoleId(service.name);
  const std::string target_id = ScalableTargetId(service.name);
  Json statement = Obj()
                       .Add("Action", Arr("ecs:DescribeServices", "ecs:UpdateService",
                                          "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm",
                                          "cloudwatch:DeleteAlarms"))
                       .Add("Effect", "Allow")
                       .Add("Resource", "*")
                       .Take();
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(
      role_id, "AWS::IAM::Role",
      Obj()
          .Add("AssumeRolePolicyDocument",
               Obj()
                   .Add("Statement",
                        Arr(Obj()
                                .Add("Action", Arr("sts:AssumeRole"))
                                .Add("Effect", "Allow")
                                .Add("Principal",
                                     Obj()
                                         .Add("Service", "application-autoscaling.amazonaws.com")
                                         .Take())
                                .Take()))
                   .Add("Version", "2012-10-17")
                   .Take())
          .Add("Policies",
               Arr(Obj()
                       .Add("PolicyDocument", Obj()
                                                  .Add("Statement", Arr(std::move(statement)))
                                                  .Add("Version", "2012-10-17")
                                                  .Take())
                       .Add("PolicyName", LogicalIdPart(service.name) + "AutoScaling")
                       .Take()))
          .Add("Tags", ctx.ServiceTags(service))
          .Take(),
      planned.where));
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(
      target_id, "AWS::ApplicationAutoScaling::ScalableTarget",
      Obj()
          .Add("MaxCapacity", spec.max)
          .Add("MinCapacity", spec.min)
          .Add("ResourceId",
               Join("/", Arr("service", ClusterName(ctx), GetAtt(ServiceId(service.name), "Name"))))
          .Add("RoleARN", GetAtt(role_id, "Arn"))
          .Add("ScalableDimension", "ecs:service:DesiredCount")
          .Add("ServiceNamespace", "ecs")
          .Take(),
      planned.where));
  const bool cpu = spec.cpu.has_value();
  const std::string policy_id = ScalingPolicyId(service.name);
  // Named like its logical ID, as Docker names it: a changed PolicyName replaces the policy,
  // so a stack Docker deployed keeps its own. The name is unique per scalable target, which
  // is per service, so two projects cannot collide.
  return ctx.tmpl.Add(
      policy_id, "AWS::ApplicationAutoScaling::ScalingPolicy",
      Obj()
          .Add("PolicyName", policy_id)
          .Add("PolicyType", "TargetTrackingScaling")
          .Add("ScalingTargetId", Ref(target_id))
          .Add("TargetTrackingScalingPolicyConfiguration",
               Obj()
                   .Add("PredefinedMetricSpecification",
                        Obj()
                            .Add("PredefinedMetricType", cpu ? "ECSServiceAverageCPUUtilization"
                                                             : "ECSServiceAverageMemoryUtilization")
                            .Take())
                   .Add("ScaleInCooldown", kCooldownSeconds)
                   .Add("ScaleOutCooldown", kCooldownSeconds)
                   .Add("TargetValue", cpu ? *spec.cpu : *spec.memory)
                   .Take())
          .Take(),
      planned.where);
}

}  // namespace

base::Status AddAutoscaling(Context& ctx) {
  for (const PlannedService& planned : ctx.plan.services) {
    if (planned.ext.autoscaling) ECSYNC_RETURN_IF_ERROR(AddForService(ctx, planned));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::cfn
