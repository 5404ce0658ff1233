#include "base/env.h"

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

TEST(Env, MapLookupAndNonEmpty) {
  const EnvLookup env = EnvFromMap({{"SET", "value"}, {"EMPTY", ""}});
  EXPECT_EQ(env("SET"), "value");
  EXPECT_EQ(env("EMPTY"), "");
  EXPECT_EQ(env("UNSET"), std::nullopt);
  EXPECT_EQ(NonEmptyEnv(env, "SET"), "value");
  EXPECT_EQ(NonEmptyEnv(env, "EMPTY"), std::nullopt);
  EXPECT_EQ(NonEmptyEnv(nullptr, "SET"), std::nullopt);
}

}  // namespace
}  // namespace ecsync::base
