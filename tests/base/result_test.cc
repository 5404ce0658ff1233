#include "base/result.h"

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidError(std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ECSYNC_ASSIGN_OR_RETURN(int half, Half(x));
  return Half(half);
}

Status CheckEven(int x) {
  ECSYNC_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(Result, HoldsValueOrError) {
  Result<int> ok = Half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  Result<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(bad.status().ToString(), "invalid: 3 is odd");
}

TEST(Result, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "3 is odd");
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_EQ(CheckEven(1).kind(), ErrorKind::kInvalid);
}

TEST(Status, WithContextKeepsKindAndPrefixesMessage) {
  Status s = ThrottledError("slow down").WithContext("DescribeStacks");
  EXPECT_EQ(s.kind(), ErrorKind::kThrottled);
  EXPECT_EQ(s.message(), "DescribeStacks: slow down");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

}  // namespace
}  // namespace ecsync::base
