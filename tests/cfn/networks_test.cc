// Compose networks as security groups.

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::Port;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::Service;

compose::Project TwoNetworks() {
  compose::Service web = Service("web", "nginx", {Port(80)});
  web.networks = {{"front", {}}};
  compose::Service api = Service("api", "example/api");
  api.networks = {{"front", {}}, {"back", {}}};
  compose::Service db = Service("db", "postgres");
  db.networks = {{"back", {}}};
  compose::Project project = Project("shop", {api, db, web});
  project.networks["front"] = {};
  project.networks["back"] = {};
  return project;
}

TEST(Networks, OneSecurityGroupPerNetwork) {
  ordered_json tmpl = ConvertOk(TwoNetworks());
  EXPECT_FALSE(tmpl["Resources"].contains("DefaultNetwork"));
  for (const char* network : {"Front", "Back"}) {
    const std::string id = std::string(network) + "Network";
    EXPECT_EQ(tmpl["Resources"][id]["Type"], "AWS::EC2::SecurityGroup");
    EXPECT_EQ(Props(tmpl, id + "Ingress")["SourceSecurityGroupId"], RefTo(id));
  }
  EXPECT_EQ(Props(tmpl, "FrontNetwork")["Tags"][1]["Value"], "shop_front");
  auto groups = [&](const std::string& service) {
    return Props(tmpl, service)["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"];
  };
  EXPECT_EQ(groups("ApiService"), (ordered_json{RefTo("BackNetwork"), RefTo("FrontNetwork")}));
  EXPECT_EQ(groups("DbService"), (ordered_json{RefTo("BackNetwork")}));
  // The port opens on the publishing service's network, where the load balancer is too.
  EXPECT_EQ(Props(tmpl, "Front80Ingress")["GroupId"], RefTo("FrontNetwork"));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["SecurityGroups"], (ordered_json{RefTo("FrontNetwork")}));
  ExpectLintClean(tmpl);
}

TEST(Networks, ExternalNetworkNamesASecurityGroup) {
  compose::Project project = TwoNetworks();
  project.networks["back"].external = true;
  project.networks["back"].name = "sg-0123abcd";
  ordered_json tmpl = ConvertOk(project);
  EXPECT_FALSE(tmpl["Resources"].contains("BackNetwork"));
  EXPECT_EQ(
      Props(tmpl, "DbService")["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"],
      (ordered_json{"sg-0123abcd"}));
  ExpectLintClean(tmpl);
  project.networks["back"].name = "corp-net";
  EXPECT_NE(ConvertError(project).find("sg-"), std::string::npos);
}

TEST(Networks, UndefinedNetworkIsAnError) {
  compose::Project project = TwoNetworks();
  project.networks.erase("back");
  EXPECT_NE(ConvertError(project).find("\"back\""), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
