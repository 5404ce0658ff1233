#include "aws/elbv2.h"

#include <algorithm>
#include <cstdlib>

#include "aws/paging.h"

namespace ecsync::aws {
namespace {

LoadBalancer ParseLoadBalancer(pugi::xml_node node) {
  LoadBalancer lb;
  lb.arn = ChildText(node, "LoadBalancerArn");
  lb.name = ChildText(node, "LoadBalancerName");
  lb.dns_name = ChildText(node, "DNSName");
  lb.type = ChildText(node, "Type");
  lb.scheme = ChildText(node, "Scheme");
  lb.vpc_id = ChildText(node, "VpcId");
  lb.state = ChildText(Child(node, "State"), "Code");
  for (pugi::xml_node group : ListItems(node, "SecurityGroups", "member")) {
    lb.security_groups.push_back(group.text().get());
  }
  return lb;
}

void AddOnce(std::vector<std::string>* values, std::string value) {
  if (value.empty()) return;
  if (std::find(values->begin(), values->end(), value) != values->end()) return;
  values->push_back(std::move(value));
}

Listener ParseListener(pugi::xml_node node) {
  Listener listener;
  listener.arn = ChildText(node, "ListenerArn");
  listener.port = std::atoi(ChildText(node, "Port").c_str());
  listener.protocol = ChildText(node, "Protocol");
  for (pugi::xml_node action : ListItems(node, "DefaultActions", "member")) {
    AddOnce(&listener.target_group_arns, ChildText(action, "TargetGroupArn"));
    pugi::xml_node forward = Child(action, "ForwardConfig");
    for (pugi::xml_node group : ListItems(forward, "TargetGroups", "member")) {
      AddOnce(&listener.target_group_arns, ChildText(group, "TargetGroupArn"));
    }
  }
  return listener;
}

}  // namespace

Elbv2::Elbv2(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<std::vector<LoadBalancer>> Elbv2::DescribeLoadBalancers(
    const DescribeLoadBalancersRequest& request) {
  QueryParams params;
  AddStringList(&params, "Names", request.names, Protocol::kQuery);
  AddStringList(&params, "LoadBalancerArns", request.arns, Protocol::kQuery);
  if (request.page_size > 0) params.emplace_back("PageSize", std::to_string(request.page_size));
  std::vector<LoadBalancer> out;
  ECSYNC_RETURN_IF_ERROR(ForEachQueryPage(
      *client_, kElbv2Service, "DescribeLoadBalancers", params, kMarker, [&](pugi::xml_node page) {
        for (pugi::xml_node node : ListItems(page, "LoadBalancers", "member")) {
          out.push_back(ParseLoadBalancer(node));
        }
      }));
  return out;
}

base::Result<std::vector<Listener>> Elbv2::DescribeListeners(const std::string& load_balancer_arn) {
  std::vector<Listener> out;
  ECSYNC_RETURN_IF_ERROR(
      ForEachQueryPage(*client_, kElbv2Service, "DescribeListeners",
                       {{"LoadBalancerArn", load_balancer_arn}}, kMarker, [&](pugi::xml_node page) {
                         for (pugi::xml_node node : ListItems(page, "Listeners", "member")) {
                           out.push_back(ParseListener(node));
                         }
                       }));
  return out;
}

}  // namespace ecsync::aws
