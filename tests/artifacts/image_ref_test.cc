#include "artifacts/image_ref.h"

#include <gtest/gtest.h>

namespace ecsync::artifacts {
namespace {

constexpr const char* kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(ImageRef, ParsesRegistryWithPortRepositoryTagAndDigest) {
  auto ref = ParseImageRef(std::string("127.0.0.1:5000/team/web:v1.2@") + kDigest);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->registry, "127.0.0.1:5000");
  EXPECT_EQ(ref->repository, "team/web");
  EXPECT_EQ(ref->tag, "v1.2");
  EXPECT_EQ(ref->digest, kDigest);
  EXPECT_EQ(ref->ToString(), std::string("127.0.0.1:5000/team/web:v1.2@") + kDigest);
  EXPECT_EQ(ref->Pinned(), std::string("127.0.0.1:5000/team/web@") + kDigest);
}

TEST(ImageRef, PortIsNotATag) {
  auto ref = ParseImageRef("localhost:5000/web");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->registry, "localhost:5000");
  EXPECT_EQ(ref->repository, "web");
  EXPECT_EQ(ref->tag, "");
}

TEST(ImageRef, DockerHubShortNames) {
  auto nginx = ParseImageRef("nginx:1.27");
  ASSERT_TRUE(nginx.ok());
  EXPECT_EQ(nginx->registry, "docker.io");
  EXPECT_EQ(nginx->repository, "library/nginx");
  EXPECT_EQ(nginx->tag, "1.27");
  auto user = ParseImageRef("someone/tool");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->registry, "docker.io");
  EXPECT_EQ(user->repository, "someone/tool");
}

TEST(ImageRef, RefusesWhatTheGrammarDoesNot) {
  for (const char* bad : {"", "Registry.example.com/Web:1", "example.com/web:",
                          "example.com/web:-x", "example.com/web@sha256:abc", "example.com/a..b",
                          "example.com//web", "example.com/web/", "exa_mple.com/web"}) {
    auto ref = ParseImageRef(bad);
    EXPECT_FALSE(ref.ok()) << bad;
    if (!ref.ok()) {
      EXPECT_EQ(ref.status().kind(), base::ErrorKind::kInvalid) << bad;
    }
  }
}

TEST(ImageRef, RepositoryComponentSeparators) {
  EXPECT_TRUE(IsValidRepository("a/b.c/d_e/f__g/h---i"));
  EXPECT_FALSE(IsValidRepository("a___b"));
  EXPECT_FALSE(IsValidRepository("a._b"));
  EXPECT_FALSE(IsValidRepository("-a"));
  EXPECT_FALSE(IsValidRepository(std::string(256, 'a')));
  EXPECT_TRUE(IsValidTag(std::string(128, 'a')));
  EXPECT_FALSE(IsValidTag(std::string(129, 'a')));
}

TEST(ImageRef, EcrRegistryHost) {
  auto ecr = ParseEcrRegistry("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  ASSERT_TRUE(ecr.has_value());
  EXPECT_EQ(ecr->account_id, "123456789012");
  EXPECT_EQ(ecr->region, "eu-west-1");
  EXPECT_EQ(EcrRegistryHost("123456789012", "eu-west-1"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  EXPECT_EQ(EcrRegistryHost("123456789012", "cn-north-1"),
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(ParseEcrRegistry("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            (EcrRegistry{"123456789012", "cn-north-1"}));
  EXPECT_TRUE(ParseEcrRegistry("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"));
  EXPECT_FALSE(ParseEcrRegistry("12345678901.dkr.ecr.eu-west-1.amazonaws.com"));
  EXPECT_FALSE(ParseEcrRegistry("123456789012.dkr.ecr.eu-west-1.amazonaws.com:443"));
  EXPECT_FALSE(ParseEcrRegistry("ghcr.io"));
  EXPECT_FALSE(ParseEcrRegistry("public.ecr.aws"));
}

}  // namespace
}  // namespace ecsync::artifacts
