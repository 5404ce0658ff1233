#include "cfn/names.h"

#include <gtest/gtest.h>

namespace ecsync::cfn {
namespace {

TEST(Names, LogicalIdPartFollowsDocker) {
  EXPECT_EQ(LogicalIdPart("simple"), "Simple");
  EXPECT_EQ(LogicalIdPart("my-web_app"), "Mywebapp");
  EXPECT_EQ(LogicalIdPart("Web.API"), "WebAPI");
  EXPECT_EQ(LogicalIdPart("2fa"), "2fa");
  EXPECT_EQ(LogicalIdPart("-_-"), "");
}

TEST(Names, PerServiceAndPortIds) {
  EXPECT_EQ(ServiceId("simple"), "SimpleService");
  EXPECT_EQ(TaskDefinitionId("simple"), "SimpleTaskDefinition");
  EXPECT_EQ(TaskExecutionRoleId("simple"), "SimpleTaskExecutionRole");
  EXPECT_EQ(ServiceDiscoveryEntryId("simple"), "SimpleServiceDiscoveryEntry");
  EXPECT_EQ(ResolvConfContainerName("simple"), "Simple_ResolvConf_InitContainer");
  EXPECT_EQ(TargetGroupId("simple", "tcp", 80), "SimpleTCP80TargetGroup");
  EXPECT_EQ(ListenerId("my-db", "udp", 5353), "MydbUDP5353Listener");
  EXPECT_EQ(PortIngressId(443), "Default443Ingress");
}

}  // namespace
}  // namespace ecsync::cfn
