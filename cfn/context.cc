#include "cfn/context.h"

#include "cfn/names.h"

namespace ecsync::cfn {

Json Context::ClusterRef() const {
  if (!plan.ext.cluster.empty()) return plan.ext.cluster;
  return GetAtt(kClusterId, "Arn");
}

Json Context::LogConfiguration(const std::map<std::string, std::string>& extra) const {
  Obj options;
  options.Add("awslogs-group", Ref(kLogGroupId))
      .Add("awslogs-region", Ref("AWS::Region"))
      .Add("awslogs-stream-prefix", project.name);
  for (const auto& [key, value] : extra) {
    if (key != "awslogs-group" && key != "awslogs-region" && key != "awslogs-stream-prefix") {
      options.Add(key, value);
    }
  }
  return Obj().Add("LogDriver", "awslogs").Add("Options", std::move(options).Take());
}

}  // namespace ecsync::cfn
