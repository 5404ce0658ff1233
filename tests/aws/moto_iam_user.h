#pragma once

// A moto_server that checks SigV4 signatures, and an IAM user it knows, for the tests that
// need a third party to verify what this project signs.

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/credentials.h"
#include "tests/support/support.h"

namespace ecsync::aws {

// moto with IAM authentication on after three unauthenticated calls, which `user` spends
// making an IAM user allowed everything and an access key of it.
struct MotoWithIamUser {
  std::unique_ptr<testing::MotoServer> moto;
  Credentials user;  // the key's id and secret; source "test"
};

inline MotoWithIamUser StartMotoWithIamUser() {
  MotoWithIamUser made;
  made.moto = std::make_unique<testing::MotoServer>(
      std::map<std::string, std::string>{{"INITIAL_NO_AUTH_ACTION_COUNT", "3"}});
  const testing::MotoServer& moto = *made.moto;
  moto.Aws({"iam", "create-user", "--user-name", "ecsync"});
  moto.Aws(
      {"iam", "put-user-policy", "--user-name", "ecsync", "--policy-name", "all",
       "--policy-document",
       R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"});
  const std::string out = moto.Aws({"iam", "create-access-key", "--user-name", "ecsync"});
  const auto key = nlohmann::json::parse(out, nullptr, false);
  if (!key.is_discarded() && key.contains("AccessKey")) {
    made.user = {key["AccessKey"]["AccessKeyId"], key["AccessKey"]["SecretAccessKey"], "", "test"};
  }
  return made;
}

}  // namespace ecsync::aws
