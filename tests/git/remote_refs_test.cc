#include "git/remote_refs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecsync::git {
namespace {

using base::ErrorKind;
using ::testing::HasSubstr;

const std::string kMain(40, '1');
const std::string kDev(40, '2');
const std::string kTagObject(40, '3');
const std::string kTagged(40, '4');
const std::string kLight(40, '5');
const std::string kSameName(40, '6');

// An advertisement like `git ls-remote` prints for a small repository.
std::vector<AdvertisedRef> Refs() {
  return {{"HEAD", kMain},
          {"refs/heads/main", kMain},
          {"refs/heads/release/1.2", kDev},
          {"refs/heads/both", kSameName},
          {"refs/tags/both", kLight},
          {"refs/tags/v1", kTagObject},
          {"refs/tags/v1^{}", kTagged},
          {"refs/tags/light", kLight}};
}

std::string Resolve(const std::string& ref,
                    const std::optional<std::string>& head = std::string("refs/heads/main")) {
  auto sha = ResolveAdvertisedRef(Refs(), head, ref, "git://h/r");
  return sha.ok() ? *sha : sha.status().ToString();
}

TEST(ResolveAdvertisedRef, HeadFollowsTheDefaultBranch) {
  EXPECT_EQ(Resolve(""), kMain);
  EXPECT_EQ(Resolve("HEAD"), kMain);
  EXPECT_EQ(Resolve("HEAD", std::string("refs/heads/release/1.2")), kDev);
}

TEST(ResolveAdvertisedRef, HeadWithoutBranchIsNotFound) {
  auto detached = ResolveAdvertisedRef(Refs(), std::nullopt, "HEAD", "git://h/r");
  ASSERT_FALSE(detached.ok());
  EXPECT_EQ(detached.status().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(detached.status().message(), HasSubstr("names no branch"));
  auto gone = ResolveAdvertisedRef(Refs(), std::string("refs/heads/gone"), "", "git://h/r");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().kind(), ErrorKind::kNotFound);
}

TEST(ResolveAdvertisedRef, BranchesByShortAndFullName) {
  EXPECT_EQ(Resolve("main"), kMain);
  EXPECT_EQ(Resolve("refs/heads/main"), kMain);
  EXPECT_EQ(Resolve("release/1.2"), kDev);
}

TEST(ResolveAdvertisedRef, AnnotatedTagsArePeeledLightweightTagsAreTaken) {
  EXPECT_EQ(Resolve("v1"), kTagged);
  EXPECT_EQ(Resolve("refs/tags/v1"), kTagged);
  EXPECT_EQ(Resolve("light"), kLight);
}

TEST(ResolveAdvertisedRef, BranchWinsOverTagUnlessTheTagIsNamed) {
  EXPECT_EQ(Resolve("both"), kSameName);
  EXPECT_EQ(Resolve("refs/tags/both"), kLight);
}

TEST(ResolveAdvertisedRef, MissingRefsAreNotFound) {
  for (const std::string ref : {"nope", "refs/heads/v1", "refs/tags/main", "refs/heads/light"}) {
    auto sha = ResolveAdvertisedRef(Refs(), std::string("refs/heads/main"), ref, "git://h/r");
    ASSERT_FALSE(sha.ok()) << ref;
    EXPECT_EQ(sha.status().kind(), ErrorKind::kNotFound) << ref;
    EXPECT_THAT(sha.status().message(), HasSubstr("git://h/r")) << ref;
  }
}

}  // namespace
}  // namespace ecsync::git
