#pragma once

// ECS Service Connect (x-aws-service-connect): the services of a project reach each other
// through the Service Connect proxy in the project's Cloud Map namespace instead of its DNS
// records. Each tcp port becomes a Service Connect endpoint whose client alias is the compose
// service's name and the container port, so `http://web:80` keeps working; a port without a
// compose `name` gets one (Service Connect addresses ports by name).
//
// Switching a project either way is an update of the same resources: the ECS services keep
// their logical IDs; only the Cloud Map discovery entries come or go.

#include <string>

#include "base/result.h"
#include "cfn/context.h"
#include "cfn/plan.h"

namespace ecsync::cfn {

// Whether `name` is a valid ECS port mapping name: 1-64 of [a-z0-9_-], not starting with '-'.
bool IsPortName(const std::string& name);

// Gives every tcp port of every service without a name the name "<service>-<port>" (the
// service's name lower-cased, characters a port name cannot hold as '-'). Deterministic.
void AssignServiceConnectPortNames(ProjectPlan& plan);

// Sets ServiceParts::service_connect of every service when the project opts in; does
// nothing otherwise. REQUIRES: AssignServiceConnectPortNames ran on ctx.plan.
base::Status AddServiceConnect(Context& ctx);

// The cluster's ServiceConnectDefaults, or null when the project does not opt in.
Json ServiceConnectDefaults(const Context& ctx);

}  // namespace ecsync::cfn
