#pragma once

#include <string>
#include <vector>

namespace ecsync::aws {

// EC2 networking records as ecsync reads them. Field values are AWS's own strings.

struct Ec2Filter {
  std::string name;                 // e.g. "vpc-id", "group-name"
  std::vector<std::string> values;  // any of them matches
};

struct RouteTableAssociation {
  std::string subnet_id;  // empty for the main association and gateway associations
  bool main = false;      // the VPC's main route table (used by unassociated subnets)
};

struct Route {
  std::string destination_cidr;  // IPv4 destination; empty for IPv6 or prefix-list routes
  std::string gateway_id;        // e.g. "igw-...", "local"; empty for NAT and other targets
};

struct RouteTable {
  std::string id;
  std::string vpc_id;
  std::vector<RouteTableAssociation> associations;
  std::vector<Route> routes;
};

struct SecurityGroup {
  std::string id;
  std::string name;
  std::string vpc_id;
};

}  // namespace ecsync::aws
