#include "cfn/deployment_resources.h"

#include <string_view>
#include <utility>

#include "cfn/iam.h"
#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

// What ECS needs to move listener rules' weights and register tasks with either target group.
constexpr char kLoadBalancersPolicy[] =
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers";
constexpr char kLambdaLogsPolicy[] =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

// Listener rule priorities: the test rule's header match must be tried before the
// production rule's catch-all.
constexpr int kTestRulePriority = 1;
constexpr int kProductionRulePriority = 2;

// The approval hook. ECS invokes it at kApprovalStage and again every minute while it
// answers IN_PROGRESS. The parameter holds the service revision ARN that is approved, or
// "reject <ARN>" to roll that revision back; anything else keeps the deployment waiting.
// Keyed by revision, an approval never lets a later deployment through.
constexpr char kApprovalCode[] = R"(import os

import boto3

ssm = boto3.client("ssm")


def handler(event, context):
    details = event.get("executionDetails") or event
    target = details.get("targetServiceRevisionArn", "")
    name = os.environ["APPROVAL_PARAMETER"]
    value = ssm.get_parameter(Name=name)["Parameter"]["Value"].strip()
    if target and value == target:
        return {"hookStatus": "SUCCEEDED"}
    if target and value == "reject " + target:
        return {"hookStatus": "FAILED"}
    print("waiting for approval of", target, "in", name)
    return {"hookStatus": "IN_PROGRESS", "callBackDelay": 60}
)";

// The parameter's value before anything was approved.
constexpr char kNothingApproved[] = "none";

std::string DeploymentRoleId(std::string_view service) {
  return LogicalIdPart(service) + "DeploymentRole";
}
std::string ApprovalFunctionId(std::string_view service) {
  return LogicalIdPart(service) + "ApprovalFunction";
}
std::string ApprovalRoleId(std::string_view service) {
  return LogicalIdPart(service) + "ApprovalFunctionRole";
}
std::string ApprovalParameterId(std::string_view service) {
  return LogicalIdPart(service) + "ApprovalParameter";
}

// `id` with its trailing `suffix` replaced: "WebTCP80TargetGroup" ->
// "WebTCP80AlternateTargetGroup".
std::string Derived(const std::string& id, std::string_view suffix, std::string_view replacement) {
  std::string base = id;
  if (base.size() >= suffix.size() &&
      base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0) {
    base.resize(base.size() - suffix.size());
  }
  return base + std::string(replacement);
}

// The approval parameter's name: per stack, so two stacks of one project do not share it.
Json ApprovalParameterName(const compose::Service& service) {
  return Sub("/ecsync/${AWS::StackName}/" + service.name + "/approval");
}

// A forward action to the primary and alternate groups, weighted 100/0 until ECS moves it.
Json WeightedForward(const std::string& primary_id, const std::string& alternate_id) {
  return Obj()
      .Add("ForwardConfig",
           Obj()
               .Add("TargetGroups",
                    Arr(Obj().Add("TargetGroupArn", Ref(primary_id)).Add("Weight", 100).Take(),
                        Obj().Add("TargetGroupArn", Ref(alternate_id)).Add("Weight", 0).Take()))
               .Take())
      .Add("Type", "forward")
      .Take();
}

// The approval hook's HookDetails, JSON text: {"ecsync":"approval","parameter":"<name>"}. It
// tells `ecsync approve` and test doubles which hook is the approval and where its parameter
// is. The name comes from the parameter's Ref, so it is right in a nested stack too.
Json ApprovalHookDetails(std::string_view service) {
  return Obj()
      .Add("Fn::Sub", Arr(R"({"ecsync":"approval","parameter":"${Name}"})",
                          Obj().Add("Name", Ref(ApprovalParameterId(service))).Take()))
      .Take();
}

base::Status AddApprovalHook(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  // From the parameter's own name (a Ref): the function's stack may be a nested one, whose
  // AWS::StackName is not the one the name was made with.
  const Json parameter_arn =
      Obj()
          .Add("Fn::Sub",
               Arr("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}",
                   Obj().Add("Name", Ref(ApprovalParameterId(service.name))).Take()))
          .Take();
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(
      ApprovalParameterId(service.name), "AWS::SSM::Parameter",
      Obj()
          .Add("Description",
               "The " + service.name + " service revision ARN approved for production traffic")
          .Add("Name", ApprovalParameterName(service))
          .Add("Type", "String")
          .Add("Value", kNothingApproved)
          .Take(),
      planned.where));
  ECSYNC_RETURN_IF_ERROR(
      ctx.tmpl.Add(ApprovalRoleId(service.name), "AWS::IAM::Role",
                   Obj()
                       .Add("AssumeRolePolicyDocument", AssumeRole("lambda.amazonaws.com"))
                       .Add("ManagedPolicyArns", Arr(kLambdaLogsPolicy))
                       .Add("Policies", Arr(Policy(LogicalIdPart(service.name) + "ReadApproval",
                                                   Arr(Obj()
                                                           .Add("Action", Arr("ssm:GetParameter"))
                                                           .Add("Effect", "Allow")
                                                           .Add("Resource", parameter_arn)
                                                           .Take()))))
                       .Add("Tags", ctx.ServiceTags(service))
                       .Take(),
                   planned.where));
  return ctx.tmpl.Add(
      ApprovalFunctionId(service.name), "AWS::Lambda::Function",
      Obj()
          .Add("Code", Obj().Add("ZipFile", kApprovalCode).Take())
          .Add("Description",
               "Holds " + service.name + " deployments before production traffic until approved")
          .Add("Environment", Obj()
                                  .Add("Variables", Obj()
                                                        .Add("APPROVAL_PARAMETER",
                                                             Ref(ApprovalParameterId(service.name)))
                                                        .Take())
                                  .Take())
          .Add("Handler", "index.handler")
          .Add("Role", GetAtt(ApprovalRoleId(service.name), "Arn"))
          .Add("Runtime", "python3.12")
          .Add("Tags", ctx.ServiceTags(service))
          .Add("Timeout", 30)
          .Take(),
      planned.where);
}

// The role ECS assumes to move traffic (behind the load balancer) and to invoke `hooks`.
base::Status AddDeploymentRole(Context& ctx, const PlannedService& planned, bool load_balancer,
                               Json hooks) {
  const compose::Service& service = *planned.service;
  Obj role;
  role.Add("AssumeRolePolicyDocument", AssumeRole("ecs.amazonaws.com"));
  if (load_balancer) role.Add("ManagedPolicyArns", Arr(kLoadBalancersPolicy));
  if (!hooks.empty()) {
    role.Add("Policies", Arr(Policy(LogicalIdPart(service.name) + "InvokeDeploymentHooks",
                                    Arr(Obj()
                                            .Add("Action", Arr("lambda:InvokeFunction"))
                                            .Add("Effect", "Allow")
                                            .Add("Resource", std::move(hooks))
                                            .Take()))));
  }
  role.Add("Tags", ctx.ServiceTags(service));
  return ctx.tmpl.Add(DeploymentRoleId(service.name), "AWS::IAM::Role", std::move(role).Take(),
                      planned.where);
}

base::Result<Json> LifecycleHooks(Context& ctx, const PlannedService& planned, Json* hook_targets) {
  const DeploymentSpec& spec = *planned.ext.deployment;
  const std::string& name = planned.service->name;
  Json hooks = Json::array();
  auto add = [&](Json target, Json stages, Json details) {
    hook_targets->push_back(target);
    Obj hook;
    if (!details.is_null()) hook.Add("HookDetails", std::move(details));
    hook.Add("HookTargetArn", std::move(target))
        .Add("LifecycleStages", std::move(stages))
        .Add("RoleArn", GetAtt(DeploymentRoleId(name), "Arn"));
    hooks.push_back(std::move(hook).Take());
  };
  for (const DeploymentHook& hook : spec.hooks) {
    // CloudFormation's reference wants HookDetails as a JSON object in a string.
    add(hook.function, hook.stages, hook.details.is_null() ? Json() : Json(hook.details.dump()));
  }
  if (spec.manual_approval) {
    ECSYNC_RETURN_IF_ERROR(AddApprovalHook(ctx, planned));
    add(GetAtt(ApprovalFunctionId(name), "Arn"), Arr(kApprovalStage), ApprovalHookDetails(name));
  }
  return hooks;
}

Json Shift(const TrafficShift& shift, const char* percent_key, const char* bake_key) {
  Obj out;
  if (shift.bake_minutes) out.Add(bake_key, *shift.bake_minutes);
  if (shift.percent) {
    // Whole percentages stay integers in the template: 10, not 10.0.
    const double percent = *shift.percent;
    if (percent == static_cast<double>(static_cast<int>(percent))) {
      out.Add(percent_key, static_cast<int>(percent));
    } else {
      out.Add(percent_key, percent);
    }
  }
  return std::move(out).Take();
}

// The AdvancedConfiguration of the service's LoadBalancers entry for `group_id`, first in
// the entry as CloudFormation's reference lists it. `test` may be null (no test traffic).
void SetAdvancedConfiguration(ServiceParts& parts, const PlannedService& planned,
                              const std::string& group_id, const Json& production,
                              const Json& test) {
  const Json primary_ref = Ref(group_id);
  for (Json& entry : parts.load_balancers) {
    if (entry.value("TargetGroupArn", Json()) != primary_ref) continue;
    Obj advanced;
    advanced
        .Add("AlternateTargetGroupArn",
             Ref(Derived(group_id, "TargetGroup", "AlternateTargetGroup")))
        .Add("ProductionListenerRule", production)
        .Add("RoleArn", GetAtt(DeploymentRoleId(planned.service->name), "Arn"));
    if (!test.is_null()) advanced.Add("TestListenerRule", test);
    Obj rebuilt;
    rebuilt.Add("AdvancedConfiguration", std::move(advanced).Take());
    for (auto it = entry.begin(); it != entry.end(); ++it) rebuilt.Add(it.key(), it.value());
    entry = std::move(rebuilt).Take();
  }
}

// A network load balancer has no listener rules: ECS moves the weights of the listener's own
// forward action (its "production listener rule" is the listener's ARN), so the listener
// forwards to both groups, weighted 100/0, which also attaches the alternate group to the
// load balancer. There is no test route: a network listener cannot match a header.
base::Status ShiftNetworkListener(Context& ctx, const PlannedService& planned,
                                  const std::string& group_id, const std::string& listener_id) {
  Resource* listener = ctx.tmpl.Find(listener_id);
  if (listener == nullptr) return base::InternalError("no listener " + listener_id);
  listener->properties["DefaultActions"] =
      Arr(WeightedForward(group_id, Derived(group_id, "TargetGroup", "AlternateTargetGroup")));
  SetAdvancedConfiguration(ctx.parts[planned.service->name], planned, group_id, Ref(listener_id),
                           Json());
  return base::Status::Ok();
}

}  // namespace

base::Result<Json> DeploymentConfiguration(Context& ctx, const PlannedService& planned,
                                           int min_percent, int max_percent) {
  const std::optional<DeploymentSpec>& spec = planned.ext.deployment;
  const ServiceParts& parts = ctx.parts[planned.service->name];
  const bool behind_load_balancer = parts.behind_load_balancer;
  // A Service Connect endpoint: ECS shifts the other services' requests to it in its proxies.
  const bool service_connect_endpoint =
      parts.service_connect.is_object() && parts.service_connect.contains("Services");
  const Strategy strategy = spec ? spec->strategy : Strategy::kRolling;
  if ((strategy == Strategy::kLinear || strategy == Strategy::kCanary) && !behind_load_balancer &&
      !service_connect_endpoint) {
    return base::InvalidError(planned.where + ": x-aws-deployment.strategy " +
                              (strategy == Strategy::kLinear ? "linear" : "canary") +
                              " shifts traffic in steps, but nothing reaches the service through "
                              "the load balancer or Service Connect; publish a port, or name a "
                              "port with x-aws-service-connect on, or use blue_green or rolling");
  }
  Obj deployment;
  if (spec && !spec->alarms.empty()) {
    deployment.Add(
        "Alarms",
        Obj().Add("AlarmNames", spec->alarms).Add("Enable", true).Add("Rollback", true).Take());
  }
  if (spec && spec->bake_minutes) deployment.Add("BakeTimeInMinutes", *spec->bake_minutes);
  if (spec && spec->canary) {
    deployment.Add("CanaryConfiguration",
                   Shift(*spec->canary, "CanaryPercent", "CanaryBakeTimeInMinutes"));
  }
  // ECS's circuit breaker watches rolling and blue/green deployments only.
  if (planned.ext.circuit_breaker &&
      (strategy == Strategy::kRolling || strategy == Strategy::kBlueGreen)) {
    deployment.Add("DeploymentCircuitBreaker",
                   Obj().Add("Enable", true).Add("Rollback", true).Take());
  }
  Json hook_targets = Json::array();
  if (spec) {
    ECSYNC_ASSIGN_OR_RETURN(Json hooks, LifecycleHooks(ctx, planned, &hook_targets));
    if (!hooks.empty()) deployment.Add("LifecycleHooks", std::move(hooks));
  }
  if (spec && spec->linear) {
    deployment.Add("LinearConfiguration",
                   Shift(*spec->linear, "StepPercent", "StepBakeTimeInMinutes"));
  }
  deployment.Add("MaximumPercent", max_percent).Add("MinimumHealthyPercent", min_percent);
  if (spec) deployment.Add("Strategy", StrategyName(strategy));

  const bool moves_traffic = spec && spec->ShiftsTraffic() && behind_load_balancer;
  if (moves_traffic || !hook_targets.empty()) {
    ECSYNC_RETURN_IF_ERROR(AddDeploymentRole(ctx, planned, moves_traffic, std::move(hook_targets)));
  }
  return std::move(deployment).Take();
}

base::Status AddTrafficShift(Context& ctx, const PlannedService& planned,
                             const std::string& group_id, const std::string& listener_id) {
  if (!planned.ext.deployment || !planned.ext.deployment->ShiftsTraffic()) {
    return base::Status::Ok();
  }
  const std::string strategy = StrategyName(planned.ext.deployment->strategy);
  const std::string alternate_id = Derived(group_id, "TargetGroup", "AlternateTargetGroup");
  const Resource* primary = ctx.tmpl.Find(group_id);
  if (primary == nullptr) return base::InternalError("no target group " + group_id);
  if (ctx.tmpl.Has(alternate_id)) {
    return base::InvalidError(planned.where + ": x-aws-deployment.strategy " + strategy +
                              " moves one listener's traffic per container port, but a "
                              "container port is published on several listeners; publish it "
                              "once or use strategy rolling");
  }
  ECSYNC_RETURN_IF_ERROR(
      ctx.tmpl.Add(alternate_id, primary->type, primary->properties, planned.where));
  if (!ctx.plan.application_lb) return ShiftNetworkListener(ctx, planned, group_id, listener_id);
  const std::string production_id = Derived(listener_id, "Listener", "ProductionRule");
  const std::string test_id = Derived(listener_id, "Listener", "TestRule");
  ECSYNC_RETURN_IF_ERROR(
      ctx.tmpl.Add(production_id, "AWS::ElasticLoadBalancingV2::ListenerRule",
                   Obj()
                       .Add("Actions", Arr(WeightedForward(group_id, alternate_id)))
                       .Add("Conditions",
                            Arr(Obj()
                                    .Add("Field", "path-pattern")
                                    .Add("PathPatternConfig", Obj().Add("Values", Arr("/*")).Take())
                                    .Take()))
                       .Add("ListenerArn", Ref(listener_id))
                       .Add("Priority", kProductionRulePriority)
                       .Take(),
                   planned.where));
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(
      test_id, "AWS::ElasticLoadBalancingV2::ListenerRule",
      Obj()
          .Add("Actions", Arr(WeightedForward(group_id, alternate_id)))
          .Add("Conditions",
               Arr(Obj()
                       .Add("Field", "http-header")
                       .Add("HttpHeaderConfig", Obj()
                                                    .Add("HttpHeaderName", kTestTrafficHeader)
                                                    .Add("Values", Arr(kTestTrafficValue))
                                                    .Take())
                       .Take()))
          .Add("ListenerArn", Ref(listener_id))
          .Add("Priority", kTestRulePriority)
          .Take(),
      planned.where));

  ServiceParts& parts = ctx.parts[planned.service->name];
  // ECS refuses an alternate target group no rule attaches to the load balancer yet.
  parts.depends_on.push_back(production_id);
  parts.depends_on.push_back(test_id);
  SetAdvancedConfiguration(parts, planned, group_id, Ref(production_id), Ref(test_id));
  return base::Status::Ok();
}

std::map<std::string, std::string> ServiceStrategies(const std::string& template_body) {
  std::map<std::string, std::string> out;
  const Json tmpl = Json::parse(template_body, nullptr, /*allow_exceptions=*/false);
  if (!tmpl.is_object() || !tmpl.contains("Resources") || !tmpl["Resources"].is_object()) {
    return out;
  }
  for (const auto& [id, resource] : tmpl["Resources"].items()) {
    if (!resource.is_object() || resource.value("Type", "") != "AWS::ECS::Service") continue;
    const Json properties = resource.value("Properties", Json::object());
    std::string name = id;
    for (const Json& tag : properties.value("Tags", Json::array())) {
      if (tag.is_object() && tag.value("Key", "") == kServiceTag) name = tag.value("Value", id);
    }
    const Json deployment = properties.value("DeploymentConfiguration", Json::object());
    const Json strategy = deployment.is_object() ? deployment.value("Strategy", Json()) : Json();
    out[name] = strategy.is_string() ? strategy.get<std::string>() : "ROLLING";
  }
  return out;
}

}  // namespace ecsync::cfn
