#include "cfn/extensions.h"

#include <charconv>

#include "base/strings.h"

namespace ecsync::cfn {
namespace {

const Json* Find(const Json& extensions, const char* key) {
  if (!extensions.is_object()) return nullptr;
  auto it = extensions.find(key);
  return it == extensions.end() ? nullptr : &*it;
}

base::Status Bad(const std::string& where, const char* key, const std::string& what) {
  return base::InvalidError(where + ": " + key + " " + what);
}

// Integers may arrive as numbers or, after interpolation, as digit strings.
base::Result<std::optional<int>> GetInt(const Json& extensions, const char* key,
                                        const std::string& where, int min, int max) {
  const Json* value = Find(extensions, key);
  if (value == nullptr || value->is_null()) return std::optional<int>();
  long long number = 0;
  if (value->is_number_integer()) {
    number = value->get<long long>();
  } else if (value->is_string()) {
    const std::string& text = value->get_ref<const std::string&>();
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size()) {
      return Bad(where, key, "must be a whole number, not \"" + text + "\"");
    }
  } else {
    return Bad(where, key, "must be a whole number");
  }
  if (number < min || number > max) {
    return Bad(where, key,
               "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " +
                   std::to_string(number));
  }
  return std::optional<int>(static_cast<int>(number));
}

base::Result<std::optional<bool>> GetBool(const Json& extensions, const char* key,
                                          const std::string& where) {
  const Json* value = Find(extensions, key);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (value->is_boolean()) return std::optional<bool>(value->get<bool>());
  if (value->is_string()) {
    const std::string& text = value->get_ref<const std::string&>();
    if (text == "true") return std::optional<bool>(true);
    if (text == "false") return std::optional<bool>(false);
  }
  return Bad(where, key, "must be true or false");
}

base::Result<std::string> GetString(const Json& extensions, const char* key,
                                    const std::string& where) {
  const Json* value = Find(extensions, key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return Bad(where, key, "must be a string");
  return value->get<std::string>();
}

// A list of strings; a single string is a list of one.
base::Result<std::vector<std::string>> GetStrings(const Json& extensions, const char* key,
                                                  const std::string& where) {
  std::vector<std::string> out;
  const Json* value = Find(extensions, key);
  if (value == nullptr || value->is_null()) return out;
  if (value->is_string()) {
    out.push_back(value->get<std::string>());
    return out;
  }
  if (!value->is_array()) return Bad(where, key, "must be a list of strings");
  for (const Json& item : *value) {
    if (!item.is_string()) return Bad(where, key, "must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// An on/off switch: true/false, or enabled/disabled in any case.
base::Result<std::optional<bool>> GetSwitch(const Json& extensions, const char* key,
                                            const std::string& where) {
  const Json* value = Find(extensions, key);
  if (value != nullptr && value->is_string()) {
    const std::string text = base::AsciiLower(value->get<std::string>());
    if (text == "enabled") return std::optional<bool>(true);
    if (text == "disabled") return std::optional<bool>(false);
  }
  base::Result<std::optional<bool>> flag = GetBool(extensions, key, where);
  if (!flag.ok()) return Bad(where, key, "must be enabled or disabled (or true or false)");
  return flag;
}

// x-aws-service-connect: true | false | {enabled: true | false}.
base::Result<bool> GetServiceConnect(const Json& extensions, const std::string& where) {
  constexpr char kKey[] = "x-aws-service-connect";
  const Json* value = Find(extensions, kKey);
  if (value == nullptr || !value->is_object()) {
    ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> on, GetBool(extensions, kKey, where));
    return on.value_or(false);
  }
  for (const auto& [name, item] : value->items()) {
    if (name != "enabled") {
      return Bad(where, kKey, "has no key \"" + name + "\"; it takes only enabled");
    }
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> on, GetBool(*value, "enabled", where + ": " + kKey));
  return on.value_or(true);
}

base::Result<std::optional<AutoscalingSpec>> GetAutoscaling(const Json& extensions,
                                                            const std::string& where) {
  const Json* value = Find(extensions, "x-aws-autoscaling");
  if (value == nullptr || value->is_null()) return std::optional<AutoscalingSpec>();
  const std::string at = where + ": x-aws-autoscaling";
  if (!value->is_object()) {
    return base::InvalidError(at + " must be a mapping with min, max and cpu or memory");
  }
  AutoscalingSpec spec;
  ECSYNC_ASSIGN_OR_RETURN(std::optional<int> min, GetInt(*value, "min", at, 0, 10000));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<int> max, GetInt(*value, "max", at, 1, 10000));
  ECSYNC_ASSIGN_OR_RETURN(spec.cpu, GetInt(*value, "cpu", at, 1, 100));
  ECSYNC_ASSIGN_OR_RETURN(spec.memory, GetInt(*value, "memory", at, 1, 100));
  if (!max) return base::InvalidError(at + ": max is required");
  spec.min = min.value_or(1);
  spec.max = *max;
  if (spec.min > spec.max) {
    return base::InvalidError(at + ": min (" + std::to_string(spec.min) +
                              ") is greater than max (" + std::to_string(spec.max) + ")");
  }
  if (spec.cpu.has_value() == spec.memory.has_value()) {
    return base::InvalidError(at + ": set exactly one of cpu and memory (a target in percent)");
  }
  return std::optional<AutoscalingSpec>(spec);
}

base::Result<std::vector<CapacityProviderItem>> GetCapacityProviders(const Json& extensions,
                                                                     const std::string& where) {
  std::vector<CapacityProviderItem> out;
  const Json* value = Find(extensions, "x-ecsync-capacity_providers");
  if (value == nullptr || value->is_null()) return out;
  const std::string at = where + ": x-ecsync-capacity_providers";
  if (!value->is_array() || value->empty()) {
    return base::InvalidError(at + " must be a non-empty list of {provider, base, weight}");
  }
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    const std::string item_at = at + "[" + std::to_string(i) + "]";
    if (!item.is_object()) return base::InvalidError(item_at + " must be a mapping");
    CapacityProviderItem entry;
    ECSYNC_ASSIGN_OR_RETURN(entry.provider, GetString(item, "provider", item_at));
    if (entry.provider != "FARGATE" && entry.provider != "FARGATE_SPOT") {
      return base::InvalidError(item_at + ": provider must be FARGATE or FARGATE_SPOT");
    }
    ECSYNC_ASSIGN_OR_RETURN(std::optional<int> base, GetInt(item, "base", item_at, 0, 100000));
    ECSYNC_ASSIGN_OR_RETURN(std::optional<int> weight, GetInt(item, "weight", item_at, 0, 1000));
    entry.base = base.value_or(0);
    entry.weight = weight.value_or(1);
    out.push_back(std::move(entry));
  }
  return out;
}

base::Result<std::optional<TargetHealthSpec>> GetTargetHealth(const Json& extensions,
                                                              const std::string& where) {
  const Json* value = Find(extensions, "x-ecsync-target_health");
  if (value == nullptr || value->is_null()) return std::optional<TargetHealthSpec>();
  const std::string at = where + ": x-ecsync-target_health";
  if (!value->is_object()) return base::InvalidError(at + " must be a mapping");
  TargetHealthSpec spec;
  ECSYNC_ASSIGN_OR_RETURN(spec.path, GetString(*value, "path", at));
  if (!spec.path.empty() && spec.path.front() != '/') {
    return base::InvalidError(at + ": path must start with '/'");
  }
  ECSYNC_ASSIGN_OR_RETURN(spec.matcher, GetString(*value, "matcher", at));
  ECSYNC_ASSIGN_OR_RETURN(spec.interval_seconds, GetInt(*value, "interval", at, 5, 300));
  ECSYNC_ASSIGN_OR_RETURN(spec.timeout_seconds, GetInt(*value, "timeout", at, 2, 120));
  ECSYNC_ASSIGN_OR_RETURN(spec.healthy_threshold, GetInt(*value, "healthy_threshold", at, 2, 10));
  ECSYNC_ASSIGN_OR_RETURN(spec.unhealthy_threshold,
                          GetInt(*value, "unhealthy_threshold", at, 2, 10));
  return std::optional<TargetHealthSpec>(std::move(spec));
}

}  // namespace

base::Result<ProjectExtensions> ParseProjectExtensions(const compose::Project& project) {
  const Json& ext = project.extensions;
  const std::string where = "project \"" + project.name + "\"";
  ProjectExtensions out;
  ECSYNC_ASSIGN_OR_RETURN(out.cluster, GetString(ext, "x-aws-cluster", where));
  ECSYNC_ASSIGN_OR_RETURN(out.vpc, GetString(ext, "x-aws-vpc", where));
  if (!out.vpc.empty() && out.vpc.rfind("vpc-", 0) != 0) {
    return Bad(where, "x-aws-vpc", "must be a VPC ID (vpc-…), not \"" + out.vpc + "\"");
  }
  ECSYNC_ASSIGN_OR_RETURN(out.load_balancer, GetString(ext, "x-aws-loadbalancer", where));
  // A name or an ARN; PlanProject resolves it (with what the reconciler looked up).
  ECSYNC_ASSIGN_OR_RETURN(out.logs_retention_days,
                          GetInt(ext, "x-aws-logs_retention", where, 1, 3653));
  if (out.logs_retention_days) {
    // CloudWatch takes only these; Docker's own example (10) is not one of them.
    static constexpr int kRetentions[] = {1,    3,    5,    7,    14,   30,  60,  90,
                                          120,  150,  180,  365,  400,  545, 731, 1096,
                                          1827, 2192, 2557, 2922, 3288, 3653};
    for (int days : kRetentions) {
      if (days >= *out.logs_retention_days) {
        out.logs_retention_days = days;
        break;
      }
    }
  }
  if (const Json* overlay = Find(ext, "x-aws-cloudformation");
      overlay != nullptr && !overlay->is_null()) {
    if (!overlay->is_object()) return Bad(where, "x-aws-cloudformation", "must be a mapping");
    out.cloudformation = *overlay;
  }
  ECSYNC_ASSIGN_OR_RETURN(out.certificate_arn, GetString(ext, "x-ecsync-certificate", where));
  if (!out.certificate_arn.empty() && out.certificate_arn.rfind("arn:", 0) != 0) {
    return Bad(where, "x-ecsync-certificate", "must be an ACM certificate ARN");
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> redirect,
                          GetBool(ext, "x-ecsync-redirect_http", where));
  out.redirect_http = redirect.value_or(false);
  if (out.redirect_http && out.certificate_arn.empty()) {
    return Bad(where, "x-ecsync-redirect_http",
               "needs x-ecsync-certificate (an HTTPS port to redirect to)");
  }
  ECSYNC_ASSIGN_OR_RETURN(out.subnets, GetStrings(ext, "x-ecsync-subnets", where));
  ECSYNC_ASSIGN_OR_RETURN(out.public_subnets, GetStrings(ext, "x-ecsync-public_subnets", where));
  ECSYNC_ASSIGN_OR_RETURN(out.assign_public_ip, GetBool(ext, "x-ecsync-assign_public_ip", where));
  ECSYNC_ASSIGN_OR_RETURN(out.service_connect, GetServiceConnect(ext, where));
  return out;
}

base::Result<ServiceExtensions> ParseServiceExtensions(const compose::Service& service,
                                                       const std::string& where) {
  const Json& ext = service.extensions;
  ServiceExtensions out;
  if (const Json* role = Find(ext, "x-aws-role"); role != nullptr && !role->is_null()) {
    if (!role->is_object()) {
      return Bad(where, "x-aws-role", "must be an IAM policy document (a mapping)");
    }
    out.role = *role;
  }
  ECSYNC_ASSIGN_OR_RETURN(out.policies, GetStrings(ext, "x-aws-policies", where));
  ECSYNC_ASSIGN_OR_RETURN(out.pull_credentials, GetString(ext, "x-aws-pull_credentials", where));
  // Docker documents x-aws-autoscaling under deploy; the service level is accepted too.
  if (service.deploy) {
    ECSYNC_ASSIGN_OR_RETURN(out.autoscaling,
                            GetAutoscaling(service.deploy->extensions, where + ": deploy"));
  }
  if (!out.autoscaling) {
    ECSYNC_ASSIGN_OR_RETURN(out.autoscaling, GetAutoscaling(ext, where));
  }
  ECSYNC_ASSIGN_OR_RETURN(out.min_percent, GetInt(ext, "x-aws-min_percent", where, 0, 100));
  ECSYNC_ASSIGN_OR_RETURN(out.max_percent, GetInt(ext, "x-aws-max_percent", where, 100, 200));
  ECSYNC_ASSIGN_OR_RETURN(out.health_check_grace_period,
                          GetInt(ext, "x-ecsync-health_check_grace_period", where, 0, 2147483647));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> breaker,
                          GetBool(ext, "x-ecsync-circuit_breaker", where));
  out.circuit_breaker = breaker.value_or(true);
  ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> exec, GetBool(ext, "x-ecsync-exec", where));
  out.exec = exec.value_or(false);
  ECSYNC_ASSIGN_OR_RETURN(out.ephemeral_storage_gib,
                          GetInt(ext, "x-ecsync-ephemeral_storage", where, 21, 200));
  ECSYNC_ASSIGN_OR_RETURN(out.capacity_providers, GetCapacityProviders(ext, where));
  ECSYNC_ASSIGN_OR_RETURN(out.target_health, GetTargetHealth(ext, where));
  ECSYNC_ASSIGN_OR_RETURN(out.deployment, ParseDeployment(ext, where));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> pinned,
                          GetSwitch(ext, "x-aws-version-consistency", where));
  if (pinned) out.version_consistency = *pinned ? "enabled" : "disabled";
  ECSYNC_ASSIGN_OR_RETURN(std::optional<bool> rebalance,
                          GetSwitch(ext, "x-aws-az-rebalancing", where));
  if (rebalance) out.az_rebalancing = *rebalance ? "ENABLED" : "DISABLED";
  return out;
}

base::Result<std::vector<std::string>> ParseSecretKeys(const compose::FileObjectConfig& secret,
                                                       const std::string& where) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          GetStrings(secret.extensions, "x-aws-keys", where));
  for (const std::string& key : keys) {
    if (key == kAllSecretKeys) {
      if (keys.size() == 1) break;
      std::string named;
      for (const std::string& other : keys) {
        if (other != kAllSecretKeys) {
          named = other;
          break;
        }
      }
      return Bad(where, "x-aws-keys",
                 named.empty() ? "lists \"*\" more than once"
                               : "mixes \"*\" (every key) with the named key \"" + named +
                                     "\"; give either [\"*\"] or the keys");
    }
    if (key.empty() || key.find('/') != std::string::npos || key.find(':') != std::string::npos) {
      return Bad(
          where, "x-aws-keys",
          "lists JSON keys to extract, by name (no '/' or ':') or as [\"*\"], not \"" + key + "\"");
    }
  }
  return keys;
}

}  // namespace ecsync::cfn
