#include "cfn/load_balancing.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "cfn/deployment_resources.h"
#include "cfn/health.h"
#include "cfn/names.h"
#include "cfn/networks.h"

namespace ecsync::cfn {
namespace {

constexpr uint32_t kHttpPort = 80;
constexpr uint32_t kHttpsPort = 443;

constexpr char kTcpUdp[] = "tcp_udp";

// The ports of a service that get a listener. On a network load balancer, a port published
// as both tcp and udp (DNS, QUIC) to the same container port is one TCP_UDP listener.
std::vector<PlannedPort> ListenerPorts(const PlannedService& service, bool network_lb) {
  std::vector<PlannedPort> out;
  for (const PlannedPort& port : service.ports) {
    if (!port.listener) continue;
    auto twin = std::find_if(out.begin(), out.end(), [&](const PlannedPort& p) {
      return network_lb && p.published == port.published && p.target == port.target &&
             p.protocol != port.protocol && p.protocol != kTcpUdp;
    });
    if (twin != out.end()) {
      twin->protocol = kTcpUdp;
      continue;
    }
    out.push_back(port);
  }
  return out;
}

// The protocol as it appears in logical IDs: "tcp", "udp", "tcpudp".
std::string IdProtocol(const std::string& protocol) {
  return protocol == kTcpUdp ? "tcpudp" : protocol;
}

class LoadBalancing {
 public:
  explicit LoadBalancing(Context& ctx) : ctx_(ctx), plan_(ctx.plan) {}

  base::Status Run() {
    ECSYNC_RETURN_IF_ERROR(CheckHttpsPortsHaveCertificate());
    if (!plan_.any_listener) {
      if (!plan_.ext.certificate_arn.empty()) {
        return base::InvalidError(ctx_.ProjectOwner() +
                                  ": x-ecsync-certificate is set but no service publishes a port");
      }
      return base::Status::Ok();
    }
    https_ = plan_.application_lb && !plan_.ext.certificate_arn.empty();
    if (!plan_.ext.certificate_arn.empty() && !plan_.application_lb) {
      return base::InvalidError(ctx_.ProjectOwner() +
                                ": x-ecsync-certificate needs an application load balancer; "
                                "publish only HTTP ports (80, 443, or app_protocol: http)");
    }
    ECSYNC_RETURN_IF_ERROR(CheckPortsPublishedOnce());
    uint32_t redirect_to = 0;
    if (https_) {
      ECSYNC_ASSIGN_OR_RETURN(redirect_to, RedirectTarget());
    }
    ECSYNC_RETURN_IF_ERROR(AddLoadBalancer());
    for (const PlannedService& service : plan_.services) {
      ECSYNC_RETURN_IF_ERROR(AddServicePorts(service));
    }
    if (plan_.ext.redirect_http) ECSYNC_RETURN_IF_ERROR(AddRedirect(redirect_to));
    return base::Status::Ok();
  }

 private:
  Json LoadBalancerArn() const {
    if (!plan_.ext.load_balancer.empty()) return plan_.ext.load_balancer;
    return Ref(kLoadBalancerId);
  }

  // All services share one load balancer, so each listener port is taken once.
  base::Status CheckPortsPublishedOnce() {
    std::map<uint32_t, std::pair<const PlannedService*, std::string>> owners;
    for (const PlannedService& service : plan_.services) {
      for (const PlannedPort& port : ListenerPorts(service, !plan_.application_lb)) {
        auto [it, inserted] =
            owners.emplace(port.published, std::make_pair(&service, port.protocol));
        if (inserted) continue;
        if (it->second.first == &service && it->second.second == port.protocol) {
          return base::InvalidError(service.where + ": port " + std::to_string(port.published) +
                                    " is published twice, for different container ports");
        }
        const std::string other =
            it->second.first == &service ? "itself (tcp and udp)" : it->second.first->where;
        return base::InvalidError(
            service.where + ": port " + std::to_string(port.published) + " is also published by " +
            other + "; all services share one load balancer, so each port can be published once");
      }
    }
    if (plan_.ext.redirect_http && owners.count(kHttpPort) != 0) {
      return base::InvalidError(owners[kHttpPort].first->where +
                                ": publishes port 80, which x-ecsync-redirect_http uses to "
                                "redirect to HTTPS; publish HTTPS ports only, or drop the "
                                "redirect");
    }
    return base::Status::Ok();
  }

  base::Status AddLoadBalancer() {
    // The application load balancer joins the networks of the services it serves.
    std::set<std::string> networks;
    for (const PlannedService& service : plan_.services) {
      for (const PlannedPort& port : service.ports) {
        if (port.listener) networks.insert(service.networks.begin(), service.networks.end());
      }
    }
    for (const std::string& network : networks) lb_groups_.push_back(network);
    if (!plan_.ext.load_balancer.empty()) return base::Status::Ok();
    Obj lb;
    lb.Add("Scheme", "internet-facing");
    // Network load balancers get no security group, as in Docker's integration.
    if (plan_.application_lb) {
      Json groups = Json::array();
      for (const std::string& network : lb_groups_) {
        groups.push_back(NetworkSecurityGroup(ctx_, network));
      }
      lb.Add("SecurityGroups", std::move(groups));
    }
    lb.Add("Subnets", plan_.lb_subnets);
    lb.Add("Tags", ctx_.ProjectTags());
    lb.Add("Type", plan_.application_lb ? "application" : "network");
    return ctx_.tmpl.Add(kLoadBalancerId, "AWS::ElasticLoadBalancingV2::LoadBalancer",
                         std::move(lb).Take(), ctx_.ProjectOwner());
  }

  // Opens `port` on a network's security group to the internet, once per (network, port).
  base::Status AddIngress(const std::string& network, uint32_t port, const std::string& protocol,
                          const std::string& service_name) {
    // Docker's ID names the port only; a UDP rule beside a TCP one for the same port
    // gets the protocol in its ID too.
    std::string id = NetworkPortIngressId(network, port, "tcp");
    auto [it, inserted] = ingress_protocols_.emplace(id, protocol);
    if (!inserted && it->second != protocol) {
      id = NetworkPortIngressId(network, port, protocol);
      inserted = ingress_protocols_.emplace(id, protocol).second;
    }
    if (!inserted) return base::Status::Ok();
    // An external network's group is not ours to change.
    const Json group = NetworkSecurityGroup(ctx_, network);
    if (group.is_string()) return base::Status::Ok();
    return ctx_.tmpl.Add(id, "AWS::EC2::SecurityGroupIngress",
                         Obj()
                             .Add("CidrIp", "0.0.0.0/0")
                             .Add("Description", service_name + ":" + std::to_string(port) + "/" +
                                                     protocol + " on " + network + " network")
                             .Add("FromPort", port)
                             .Add("GroupId", group)
                             .Add("IpProtocol", protocol == "tcp" ? "TCP" : "UDP")
                             .Add("ToPort", port)
                             .Take(),
                         ctx_.ProjectOwner());
  }

  static std::string NetworkProtocol(const std::string& protocol) {
    if (protocol == kTcpUdp) return "TCP_UDP";
    return protocol == "tcp" ? "TCP" : "UDP";
  }

  // Whether `port` gets an HTTPS listener once the project has a certificate.
  static bool WantsHttps(const PlannedPort& port) {
    return port.https || (port.published == kHttpsPort && !port.raw_tcp);
  }

  std::string ListenerProtocol(const PlannedPort& port) const {
    if (!plan_.application_lb) return NetworkProtocol(port.protocol);
    return https_ && WantsHttps(port) ? "HTTPS" : "HTTP";
  }

  // A port marked https cannot silently become plain HTTP: it needs the certificate.
  base::Status CheckHttpsPortsHaveCertificate() const {
    if (!plan_.ext.certificate_arn.empty()) return base::Status::Ok();
    for (const PlannedService& service : plan_.services) {
      for (const PlannedPort& port : service.ports) {
        if (!port.listener || !port.https) continue;
        return base::InvalidError(
            service.where + ": port " + std::to_string(port.published) +
            " is marked https (app_protocol or x-aws-protocol), but the project has no "
            "certificate; set x-ecsync-certificate to an ACM certificate ARN at the top level "
            "of the compose file, or mark the port http");
      }
    }
    return base::Status::Ok();
  }

  // The published port HTTP requests are redirected to: 443 when it is HTTPS, else the one
  // HTTPS port. kInvalid when no listener is HTTPS, or (with x-ecsync-redirect_http) when
  // several are and none is 443.
  base::Result<uint32_t> RedirectTarget() const {
    std::set<uint32_t> https_ports;
    for (const PlannedService& service : plan_.services) {
      for (const PlannedPort& port : service.ports) {
        if (port.listener && WantsHttps(port)) https_ports.insert(port.published);
      }
    }
    if (https_ports.empty()) {
      return base::InvalidError(ctx_.ProjectOwner() +
                                ": x-ecsync-certificate is set but no published port is 443 or "
                                "marked https (app_protocol: https or x-aws-protocol: https); "
                                "publish 443 or mark the port that serves HTTPS");
    }
    if (https_ports.count(kHttpsPort) != 0) return kHttpsPort;
    if (https_ports.size() == 1 || !plan_.ext.redirect_http) return *https_ports.begin();
    std::string list;
    for (uint32_t port : https_ports) list += (list.empty() ? "" : ", ") + std::to_string(port);
    return base::InvalidError(ctx_.ProjectOwner() +
                              ": x-ecsync-redirect_http cannot choose "
                              "between the HTTPS ports " +
                              list + "; publish 443 (the redirect's target) or drop the redirect");
  }

  std::string TargetProtocol(const PlannedPort& port) const {
    if (!plan_.application_lb) return NetworkProtocol(port.protocol);
    return "HTTP";
  }

  base::Status AddServicePorts(const PlannedService& planned) {
    const compose::Service& service = *planned.service;
    ServiceParts& parts = ctx_.parts[service.name];
    std::set<std::string> groups_done;
    for (const PlannedPort& port : ListenerPorts(planned, !plan_.application_lb)) {
      parts.behind_load_balancer = true;
      // Where the traffic lands: an application load balancer (in the networks' groups)
      // is reached on the listener port and reaches the tasks through the self-ingress
      // rule; a network load balancer passes the client's packets to the container port.
      const uint32_t open_port =
          plan_.application_lb && plan_.ext.load_balancer.empty() ? port.published : port.target;
      for (const std::string& network : planned.networks) {
        for (const char* protocol : {"tcp", "udp"}) {
          if (port.protocol == protocol || port.protocol == kTcpUdp) {
            ECSYNC_RETURN_IF_ERROR(AddIngress(network, open_port, protocol, service.name));
          }
        }
      }
      const std::string id_protocol = IdProtocol(port.protocol);
      const std::string group_id = TargetGroupId(service.name, id_protocol, port.target);
      if (groups_done.insert(group_id).second) {
        const bool http = TargetProtocol(port) == "HTTP";
        Obj group;
        AddTargetGroupHealthCheck(service, planned.ext.target_health, http, port.target, group);
        group.Add("Port", port.target)
            .Add("Protocol", TargetProtocol(port))
            .Add("Tags", ctx_.ServiceTags(service))
            .Add("TargetType", "ip")
            .Add("VpcId", plan_.vpc);
        ECSYNC_RETURN_IF_ERROR(ctx_.tmpl.Add(group_id, "AWS::ElasticLoadBalancingV2::TargetGroup",
                                             std::move(group).Take(), planned.where));
        parts.load_balancers.push_back(Obj()
                                           .Add("ContainerName", service.name)
                                           .Add("ContainerPort", port.target)
                                           .Add("TargetGroupArn", Ref(group_id))
                                           .Take());
      }
      // Docker's ForwardConfig, plus the same group as TargetGroupArn (AWS allows both when
      // they agree): moto, which tests deploy to, only reads TargetGroupArn.
      Json forward =
          Obj()
              .Add("ForwardConfig",
                   Obj()
                       .Add("TargetGroups", Arr(Obj().Add("TargetGroupArn", Ref(group_id)).Take()))
                       .Take())
              .Add("TargetGroupArn", Ref(group_id))
              .Add("Type", "forward")
              .Take();
      const std::string protocol = ListenerProtocol(port);
      Obj listener;
      if (protocol == "HTTPS") {
        listener.Add("Certificates",
                     Arr(Obj().Add("CertificateArn", plan_.ext.certificate_arn).Take()));
      }
      listener.Add("DefaultActions", Arr(std::move(forward)))
          .Add("LoadBalancerArn", LoadBalancerArn())
          .Add("Port", port.published)
          .Add("Protocol", protocol);
      if (protocol == "HTTPS") listener.Add("SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06");
      const std::string listener_id = ListenerId(service.name, id_protocol, port.published);
      ECSYNC_RETURN_IF_ERROR(ctx_.tmpl.Add(listener_id, "AWS::ElasticLoadBalancingV2::Listener",
                                           std::move(listener).Take(), planned.where));
      // ECS refuses a target group that no listener attaches to a load balancer yet.
      parts.depends_on.push_back(listener_id);
      ECSYNC_RETURN_IF_ERROR(AddTrafficShift(ctx_, planned, group_id, listener_id));
    }
    return base::Status::Ok();
  }

  // REQUIRES: `https_port` is a published HTTPS listener port.
  base::Status AddRedirect(uint32_t https_port) {
    for (const std::string& network : lb_groups_) {
      ECSYNC_RETURN_IF_ERROR(AddIngress(network, kHttpPort, "tcp", "redirect"));
    }
    Json redirect = Obj()
                        .Add("RedirectConfig", Obj()
                                                   .Add("Port", std::to_string(https_port))
                                                   .Add("Protocol", "HTTPS")
                                                   .Add("StatusCode", "HTTP_301")
                                                   .Take())
                        .Add("Type", "redirect")
                        .Take();
    return ctx_.tmpl.Add(RedirectListenerId(kHttpPort), "AWS::ElasticLoadBalancingV2::Listener",
                         Obj()
                             .Add("DefaultActions", Arr(std::move(redirect)))
                             .Add("LoadBalancerArn", LoadBalancerArn())
                             .Add("Port", kHttpPort)
                             .Add("Protocol", "HTTP")
                             .Take(),
                         ctx_.ProjectOwner());
  }

  Context& ctx_;
  const ProjectPlan& plan_;
  bool https_ = false;
  std::vector<std::string> lb_groups_;  // networks whose groups the load balancer joins
  std::map<std::string, std::string> ingress_protocols_;  // ingress rule ID -> protocol
};

}  // namespace

base::Status AddLoadBalancing(Context& ctx) { return LoadBalancing(ctx).Run(); }

}  // namespace ecsync::cfn
