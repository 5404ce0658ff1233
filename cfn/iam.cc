#include "cfn/iam.h"

#include <utility>

namespace ecsync::cfn {

Json AssumeRole(const char* principal) {
  return Obj()
      .Add("Statement", Arr(Obj()
                                .Add("Action", Arr("sts:AssumeRole"))
                                .Add("Condition", Json::object())
                                .Add("Effect", "Allow")
                                .Add("Principal", Obj().Add("Service", principal).Take())
                                .Take()))
      .Add("Version", "2012-10-17")
      .Take();
}

Json Policy(const std::string& name, Json statements) {
  return Obj()
      .Add("PolicyDocument",
           Obj().Add("Statement", std::move(statements)).Add("Version", "2012-10-17").Take())
      .Add("PolicyName", name)
      .Take();
}

}  // namespace ecsync::cfn
