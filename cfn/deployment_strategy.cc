#include "cfn/deployment_strategy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <set>

namespace ecsync::cfn {
namespace {

constexpr char kKey[] = "x-aws-deployment";

// ECS's bound on BakeTimeInMinutes and on the steps' bake times: one day.
constexpr int kMaxBakeMinutes = 1440;

// The stages CloudFormation's schema for AWS::ECS::Service accepts in LifecycleStages.
const std::set<std::string>& LifecycleStages() {
  static const std::set<std::string> kStages = {"RECONCILE_SERVICE",
                                                "PRE_SCALE_UP",
                                                "POST_SCALE_UP",
                                                "TEST_TRAFFIC_SHIFT",
                                                "POST_TEST_TRAFFIC_SHIFT",
                                                "PRODUCTION_TRAFFIC_SHIFT",
                                                "POST_PRODUCTION_TRAFFIC_SHIFT"};
  return kStages;
}

// Errors below name `at`, the path of the value inside x-aws-deployment.
base::Status Invalid(const std::string& at, const std::string& what) {
  return base::InvalidError(at + " " + what);
}

// Rejects keys other than `known`: a misspelt key would otherwise leave a deployment less
// safe than the user believes.
base::Status CheckKeys(const Json& object, std::initializer_list<const char*> known,
                       const std::string& at) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find_if(known.begin(), known.end(),
                     [&](const char* key) { return it.key() == key; }) != known.end()) {
      continue;
    }
    std::string list;
    for (const char* key : known) list += (list.empty() ? "" : ", ") + std::string(key);
    return Invalid(at, "has the unknown key \"" + it.key() + "\"; it takes " + list);
  }
  return base::Status::Ok();
}

// A number written as a number or, after interpolation, as a string; nullopt when absent.
base::Result<std::optional<double>> Number(const Json& object, const char* key,
                                           const std::string& at) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  if (it->is_number()) return std::optional<double>(it->get<double>());
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end == text.data() + text.size()) {
      return std::optional<double>(value);
    }
  }
  return Invalid(at + "." + key, "must be a number");
}

base::Result<std::optional<int>> BakeMinutes(const Json& object, const std::string& at) {
  ECSYNC_ASSIGN_OR_RETURN(std::optional<double> value, Number(object, "bake_minutes", at));
  if (!value) return std::optional<int>();
  if (*value != std::floor(*value) || *value < 0 || *value > kMaxBakeMinutes) {
    return Invalid(at + ".bake_minutes", "must be whole minutes from 0 to " +
                                             std::to_string(kMaxBakeMinutes) + " (ECS's range)");
  }
  return std::optional<int>(static_cast<int>(*value));
}

std::string Format(double value) {
  Json number = value;
  return number.dump();
}

// linear or canary: {percent, bake_minutes}; percent in [min, 100] in steps of 0.1.
base::Result<std::optional<TrafficShift>> Shift(const Json& deployment, const char* key,
                                                double min_percent, const std::string& at) {
  auto it = deployment.find(key);
  if (it == deployment.end() || it->is_null()) return std::optional<TrafficShift>();
  const std::string shift_at = at + "." + key;
  if (!it->is_object()) return Invalid(shift_at, "must be a mapping {percent, bake_minutes}");
  ECSYNC_RETURN_IF_ERROR(CheckKeys(*it, {"percent", "bake_minutes"}, shift_at));
  TrafficShift shift;
  ECSYNC_ASSIGN_OR_RETURN(shift.percent, Number(*it, "percent", shift_at));
  if (shift.percent) {
    const double tenths = *shift.percent * 10;
    if (*shift.percent < min_percent || *shift.percent > 100 ||
        std::abs(tenths - std::round(tenths)) > 1e-9) {
      return Invalid(shift_at + ".percent", "must be from " + Format(min_percent) +
                                                " to 100 in steps of 0.1 (ECS's range), not " +
                                                Format(*shift.percent));
    }
    shift.percent = std::round(tenths) / 10;
  }
  ECSYNC_ASSIGN_OR_RETURN(shift.bake_minutes, BakeMinutes(*it, shift_at));
  return std::optional<TrafficShift>(shift);
}

// A list of non-empty strings; one string is a list of one.
base::Result<std::vector<std::string>> Strings(const Json& value, const std::string& at) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const Json& item : value) {
      if (!item.is_string()) return Invalid(at, "must be a list of strings");
      out.push_back(item.get<std::string>());
    }
  } else {
    return Invalid(at, "must be a list of strings");
  }
  for (const std::string& item : out) {
    if (item.empty()) return Invalid(at, "must not contain an empty string");
  }
  return out;
}

base::Result<std::vector<DeploymentHook>> Hooks(const Json& deployment, const std::string& at) {
  std::vector<DeploymentHook> out;
  auto it = deployment.find("hooks");
  if (it == deployment.end() || it->is_null()) return out;
  if (!it->is_array()) return Invalid(at + ".hooks", "must be a list of {function, stages}");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& item = (*it)[i];
    const std::string hook_at = at + ".hooks[" + std::to_string(i) + "]";
    if (!item.is_object()) return Invalid(hook_at, "must be a mapping {function, stages}");
    ECSYNC_RETURN_IF_ERROR(CheckKeys(item, {"function", "stages", "details"}, hook_at));
    DeploymentHook hook;
    auto function = item.find("function");
    if (function == item.end() || !function->is_string() ||
        function->get_ref<const std::string&>().rfind("arn:", 0) != 0 ||
        function->get_ref<const std::string&>().find(":lambda:") == std::string::npos) {
      return Invalid(hook_at + ".function", "must be a Lambda function's ARN (arn:aws:lambda:…)");
    }
    hook.function = function->get<std::string>();
    auto stages = item.find("stages");
    if (stages == item.end() || stages->is_null()) {
      return Invalid(hook_at + ".stages", "is required: the lifecycle stages to run it at");
    }
    ECSYNC_ASSIGN_OR_RETURN(hook.stages, Strings(*stages, hook_at + ".stages"));
    for (const std::string& stage : hook.stages) {
      if (LifecycleStages().count(stage) != 0) continue;
      std::string list;
      for (const std::string& known : LifecycleStages()) list += (list.empty() ? "" : ", ") + known;
      return Invalid(hook_at + ".stages",
                     "names the unknown stage \"" + stage + "\"; ECS has " + list);
    }
    if (auto details = item.find("details"); details != item.end() && !details->is_null()) {
      if (!details->is_object()) return Invalid(hook_at + ".details", "must be a mapping");
      hook.details = *details;
    }
    out.push_back(std::move(hook));
  }
  return out;
}

base::Result<Strategy> ParseStrategy(const Json& deployment, const std::string& at) {
  auto it = deployment.find("strategy");
  if (it == deployment.end() || it->is_null()) return Strategy::kRolling;
  const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
  if (text == "rolling") return Strategy::kRolling;
  if (text == "blue_green") return Strategy::kBlueGreen;
  if (text == "linear") return Strategy::kLinear;
  if (text == "canary") return Strategy::kCanary;
  return Invalid(at + ".strategy",
                 "must be rolling, blue_green, linear or canary, not \"" + text + "\"");
}

// What only some strategies take.
base::Status CheckFitsStrategy(const DeploymentSpec& spec, const std::string& at) {
  const std::string name = StrategyName(spec.strategy);
  if (spec.linear && spec.strategy != Strategy::kLinear) {
    return Invalid(at + ".linear", "is set but the strategy is " + name + "; set strategy: linear");
  }
  if (spec.canary && spec.strategy != Strategy::kCanary) {
    return Invalid(at + ".canary", "is set but the strategy is " + name + "; set strategy: canary");
  }
  if (spec.ShiftsTraffic()) return base::Status::Ok();
  // ECS runs bake times and lifecycle hooks only in blue/green, linear and canary deployments.
  const char* needs = " needs strategy blue_green, linear or canary (a rolling deployment has ";
  if (spec.bake_minutes) return Invalid(at + ".bake_minutes", std::string(needs) + "no bake time)");
  if (!spec.hooks.empty())
    return Invalid(at + ".hooks", std::string(needs) + "no lifecycle stages)");
  if (spec.manual_approval) {
    return Invalid(at + ".approval", std::string(needs) + "no stage to pause at)");
  }
  return base::Status::Ok();
}

}  // namespace

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kRolling:
      return "ROLLING";
    case Strategy::kBlueGreen:
      return "BLUE_GREEN";
    case Strategy::kLinear:
      return "LINEAR";
    case Strategy::kCanary:
      return "CANARY";
  }
  return "ROLLING";
}

base::Result<std::optional<DeploymentSpec>> ParseDeployment(const Json& extensions,
                                                            const std::string& where) {
  if (!extensions.is_object()) return std::optional<DeploymentSpec>();
  auto it = extensions.find(kKey);
  if (it == extensions.end() || it->is_null()) return std::optional<DeploymentSpec>();
  const std::string at = where + ": " + kKey;
  if (!it->is_object()) return Invalid(at, "must be a mapping with a strategy");
  const Json& deployment = *it;
  ECSYNC_RETURN_IF_ERROR(CheckKeys(
      deployment, {"strategy", "bake_minutes", "linear", "canary", "alarms", "hooks", "approval"},
      at));
  DeploymentSpec spec;
  ECSYNC_ASSIGN_OR_RETURN(spec.strategy, ParseStrategy(deployment, at));
  ECSYNC_ASSIGN_OR_RETURN(spec.bake_minutes, BakeMinutes(deployment, at));
  // ECS's minimums: a linear step of at least 3%, a canary of at least 0.1%.
  ECSYNC_ASSIGN_OR_RETURN(spec.linear, Shift(deployment, "linear", 3, at));
  ECSYNC_ASSIGN_OR_RETURN(spec.canary, Shift(deployment, "canary", 0.1, at));
  if (auto alarms = deployment.find("alarms"); alarms != deployment.end() && !alarms->is_null()) {
    ECSYNC_ASSIGN_OR_RETURN(spec.alarms, Strings(*alarms, at + ".alarms"));
    for (const std::string& alarm : spec.alarms) {
      if (alarm.size() > 255) return Invalid(at + ".alarms", "names an alarm over 255 characters");
    }
  }
  ECSYNC_ASSIGN_OR_RETURN(spec.hooks, Hooks(deployment, at));
  if (auto approval = deployment.find("approval");
      approval != deployment.end() && !approval->is_null()) {
    if (!approval->is_string() || approval->get_ref<const std::string&>() != "manual") {
      return Invalid(at + ".approval", "must be manual, not " + approval->dump());
    }
    spec.manual_approval = true;
  }
  ECSYNC_RETURN_IF_ERROR(CheckFitsStrategy(spec, at));
  return std::optional<DeploymentSpec>(std::move(spec));
}

}  // namespace ecsync::cfn
