#include "cfn/secrets.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "cfn/extensions.h"
#include "cfn/names.h"
#include "cfn/secret_split.h"

namespace ecsync::cfn {
namespace {

// A small image with a POSIX shell, from ECR Public (no Docker Hub pull limits).
constexpr char kSecretsInitImage[] = "public.ecr.aws/docker/library/busybox:1.36";
constexpr char kSecretsVolume[] = "secrets";
constexpr char kSecretsDir[] = "/run/secrets";

// Paths and names go into a shell script: only characters that need no quoting.
bool IsSafePath(const std::string& s) {
  if (s.empty() || s.find("..") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
  });
}

std::string Octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", mode & 07777);
  return buf;
}

std::string Owner(const compose::FileReference& ref) {
  if (ref.uid.empty() && ref.gid.empty()) return "";
  return (ref.uid.empty() ? "0" : ref.uid) + ":" + (ref.gid.empty() ? "0" : ref.gid);
}

bool IsNumeric(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class Secrets {
 public:
  explicit Secrets(Context& ctx) : ctx_(ctx) {}

  base::Status Run() {
    for (const PlannedService& planned : ctx_.plan.services) {
      if (!planned.service->secrets.empty()) ECSYNC_RETURN_IF_ERROR(AddForService(planned));
    }
    std::sort(ctx_.secret_parameters.begin(), ctx_.secret_parameters.end(),
              [](const SecretParameter& a, const SecretParameter& b) {
                return a.parameter < b.parameter;
              });
    return base::Status::Ok();
  }

 private:
  // The secret's ARN (adding its resource and parameter on first use).
  base::Result<Json> SecretArn(const std::string& name, const std::string& where) {
    auto it = ctx_.project.secrets.find(name);
    if (it == ctx_.project.secrets.end()) {
      return base::InvalidError(where + ": secret \"" + name +
                                "\" is not defined in the top-level secrets");
    }
    const compose::FileObjectConfig& secret = it->second;
    if (secret.external) {
      const std::string arn = secret.name.empty() ? name : secret.name;
      if (arn.rfind("arn:", 0) != 0) {
        return base::InvalidError(where + ": external secret \"" + name +
                                  "\" must give the secret's ARN as its name");
      }
      return Json(arn);
    }
    const std::string id = SecretId(name);
    if (ctx_.tmpl.Has(id)) return Ref(id);
    if (secret.file.empty() && secret.environment.empty()) {
      return base::InvalidError(where + ": secret \"" + name +
                                "\" needs file, environment or external");
    }
    const std::string parameter = SecretValueParameter(name);
    ctx_.tmpl.AddParameter(
        parameter,
        Obj()
            .Add("Type", "String")
            .Add("NoEcho", true)
            .Add("Description", "Value of compose secret " + name + " (from " +
                                    (secret.file.empty() ? "$" + secret.environment : secret.file) +
                                    "); never stored in the template")
            .Take());
    ctx_.secret_parameters.push_back({parameter, name, secret.file, secret.environment});
    Json tags = ctx_.ProjectTags();
    tags.push_back(Tag("com.docker.compose.secret", name));
    ECSYNC_RETURN_IF_ERROR(ctx_.tmpl.Add(
        id, "AWS::SecretsManager::Secret",
        Obj()
            .Add("Description", "compose secret " + name + " of project " + ctx_.project.name)
            .Add("SecretString", Ref(parameter))
            .Add("Tags", std::move(tags))
            .Take(),
        "secret \"" + name + "\""));
    return Ref(id);
  }

  base::Status AddForService(const PlannedService& planned) {
    const compose::Service& service = *planned.service;
    ServiceParts& parts = ctx_.parts[service.name];
    Json env = Json::array();
    Json arns = Json::array();
    std::string script;
    bool splits = false;  // some secret has x-aws-keys: ["*"]
    std::set<std::string> targets;
    for (size_t i = 0; i < service.secrets.size(); ++i) {
      const compose::FileReference& ref = service.secrets[i];
      const std::string where = planned.where + ": secrets[" + std::to_string(i) + "]";
      ECSYNC_ASSIGN_OR_RETURN(Json arn, SecretArn(ref.source, where));
      std::string target = ref.target.empty() ? ref.source : ref.target;
      if (target.rfind(std::string(kSecretsDir) + "/", 0) == 0) {
        target = target.substr(sizeof(kSecretsDir));
      }
      if (!IsSafePath(target) || target.front() == '/') {
        return base::InvalidError(where + ": target \"" + ref.target +
                                  "\" must be a plain path under /run/secrets (letters, digits, "
                                  ". _ - /)");
      }
      if (!targets.insert(target).second) {
        return base::InvalidError(where + ": another secret already writes " + target);
      }
      const std::string owner = Owner(ref);
      if (!owner.empty() && (!IsNumeric(ref.uid) || !IsNumeric(ref.gid))) {
        return base::InvalidError(where + ": uid and gid must be numbers");
      }
      const std::string mode = Octal(ref.mode.value_or(0444));
      const std::string path = std::string(kSecretsDir) + "/" + target;
      arns.push_back(arn);
      auto it = ctx_.project.secrets.find(ref.source);
      ECSYNC_ASSIGN_OR_RETURN(
          std::vector<std::string> keys,
          ParseSecretKeys(it->second, where + ": secret \"" + ref.source + "\""));
      auto write = [&](const std::string& variable, const std::string& file) {
        script += "mkdir -p \"$(dirname " + file + ")\"; printf '%s' \"$" + variable + "\" > " +
                  file + "; chmod " + mode + " " + file + "; ";
        if (!owner.empty()) script += "chown " + owner + " " + file + "; ";
      };
      if (keys.empty() || keys[0] == kAllSecretKeys) {
        // The whole secret; with "*" the script splits its JSON into <path>/<key> files.
        const std::string variable = "SECRET_" + std::to_string(i);
        env.push_back(Obj().Add("Name", variable).Add("ValueFrom", arn).Take());
        if (keys.empty()) {
          write(variable, path);
        } else {
          splits = true;
          script += SplitJsonSecretCall(variable, path, mode, owner);
        }
      } else {
        for (size_t k = 0; k < keys.size(); ++k) {
          if (!IsSafePath(keys[k])) {
            return base::InvalidError(where + ": x-aws-keys entry \"" + keys[k] +
                                      "\" cannot name a file");
          }
          const std::string variable = "SECRET_" + std::to_string(i) + "_" + std::to_string(k);
          // ECS extracts a JSON key itself: <arn>:<key>::
          env.push_back(Obj()
                            .Add("Name", variable)
                            .Add("ValueFrom", Join("", Arr(arn, ":" + keys[k] + "::")))
                            .Take());
          write(variable, path + "/" + keys[k]);
        }
      }
    }
    script = "set -e; umask 0222; " + (splits ? SplitJsonSecretFunction() : "") + script + "exit 0";
    parts.init_containers.push_back(
        Obj()
            .Add("Command", Arr(std::move(script)))
            .Add("EntryPoint", Arr("sh", "-c"))
            .Add("Essential", false)
            .Add("Image", kSecretsInitImage)
            .Add("LogConfiguration", ctx_.LogConfiguration())
            .Add("MountPoints", Arr(Obj()
                                        .Add("ContainerPath", kSecretsDir)
                                        .Add("ReadOnly", false)
                                        .Add("SourceVolume", kSecretsVolume)
                                        .Take()))
            .Add("Name", SecretsContainerName(service.name))
            .Add("Secrets", std::move(env))
            .Take());
    parts.volumes.push_back(Obj().Add("Name", kSecretsVolume).Take());
    parts.mount_points.push_back(Obj()
                                     .Add("ContainerPath", kSecretsDir)
                                     .Add("ReadOnly", true)
                                     .Add("SourceVolume", kSecretsVolume)
                                     .Take());
    parts.execution_statements.push_back(Obj()
                                             .Add("Action", Arr("secretsmanager:GetSecretValue"))
                                             .Add("Effect", "Allow")
                                             .Add("Resource", std::move(arns))
                                             .Take());
    return base::Status::Ok();
  }

  Context& ctx_;
};

}  // namespace

base::Status AddSecrets(Context& ctx) { return Secrets(ctx).Run(); }

}  // namespace ecsync::cfn
