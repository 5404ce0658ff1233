#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "base/result.h"

namespace ecsync::aws {

// Elastic Load Balancing v2 as ecsync reads it: load balancers and their listeners. Field
// values are AWS's own strings.

struct LoadBalancer {
  std::string arn;
  std::string name;
  std::string dns_name;
  std::string type;    // application | network | gateway
  std::string scheme;  // internet-facing | internal
  std::string vpc_id;
  std::string state;                         // active | provisioning | active_impaired | failed
  std::vector<std::string> security_groups;  // in the order AWS lists them
};

struct Listener {
  std::string arn;
  int port = 0;
  std::string protocol;  // HTTP | HTTPS | TCP | TLS | UDP | TCP_UDP | GENEVE
  // Target groups the default actions forward to (TargetGroupArn and ForwardConfig), each
  // once, in the order the actions list them.
  std::vector<std::string> target_group_arns;
};

struct DescribeLoadBalancersRequest {
  // At most one of `names` and `arns`; both empty: every load balancer in the region.
  std::vector<std::string> names;
  std::vector<std::string> arns;
  int page_size = 0;  // results per request (1..400); 0: the service's default
};

// ELBv2 reads over the AWS API (Query protocol, version 2015-12-01). Thread-safe.
class Elbv2 {
 public:
  explicit Elbv2(std::shared_ptr<AwsClient> client);

  // Every page of DescribeLoadBalancers. kNotFound when a named or ARN'd load balancer does
  // not exist (LoadBalancerNotFound).
  base::Result<std::vector<LoadBalancer>> DescribeLoadBalancers(
      const DescribeLoadBalancersRequest& request);
  // Every page of the listeners of one load balancer. kNotFound when it does not exist.
  base::Result<std::vector<Listener>> DescribeListeners(const std::string& load_balancer_arn);

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
