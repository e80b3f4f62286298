#!/usr/bin/env python3
"""A network shaped like AWS's own extremes, for `vpcfw compile --stats`, `vpcfw bench` and
the scale notes in dataplane/DESIGN-pipeline.md: VPCS VPCs (default 5,000, a Transit
Gateway's attachment quota) on one TGW, every attachment associated with and propagated
into one TGW route table; per VPC one subnet with its own NACL of NACL_ENTRIES entries per
direction (default 39: with the `*`, AWS's adjustable maximum of 40) and ENIS_PER_VPC ENIs, each carrying
GROUPS security groups (default 5, the per-ENI quota) of RULES inbound and RULES outbound
rules (default 60, the per-group quota). Groups are VPC-scoped as in AWS: each VPC has its
own GROUPS groups, shared by that VPC's ENIs. Group g's rule r admits tcp port 2000 + 100g + r
from VPC v + r (inbound) and to 10/8 (outbound), so VPC 0 reaches VPC 5 on port 2005.
Deterministic. Writes the bundle to stdout.
    scripts/gen_aws_extreme.py [--vpcs N] [--enis-per-vpc N] [--groups N] [--rules N]
                               [--nacl-entries N] > net.json
(Written by hand: no Debian tool generates AWS exports; the JSON shapes are those of
`aws ec2 describe-*`, as docs/interface.md lists them.)
"""
import argparse
import json
import sys

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--vpcs", type=int, default=5000)
ap.add_argument("--enis-per-vpc", type=int, default=1)
ap.add_argument("--groups", type=int, default=5)
ap.add_argument("--rules", type=int, default=60)
ap.add_argument("--nacl-entries", type=int, default=39)
a = ap.parse_args()
if not (1 <= a.vpcs <= 65536 and 1 <= a.enis_per_vpc <= 100 and 0 <= a.groups <= 16 and 0 <= a.rules <= 1000
        and 0 <= a.nacl_entries <= 32766):
    sys.exit("gen_aws_extreme.py: a value out of range (vpcs 1..65536, enis-per-vpc 1..100, groups 0..16, "
             "rules 0..1000, nacl-entries 0..32766)")

tgw, tgw_rtb = "tgw-0e0000000000000001", "tgw-rtb-0e000000000000001"
out = {k: [] for k in ("Vpcs", "Subnets", "RouteTables", "SecurityGroups", "NetworkAcls", "NetworkInterfaces",
                       "TransitGatewayAttachments", "TransitGatewayVpcAttachments")}
out["TransitGateways"] = [{"TransitGatewayId": tgw, "State": "available", "OwnerId": "111122223333",
                           "Options": {"AssociationDefaultRouteTableId": tgw_rtb, "PropagationDefaultRouteTableId": tgw_rtb}}]
out["TransitGatewayRouteTables"] = [{"TransitGatewayRouteTableId": tgw_rtb, "TransitGatewayId": tgw, "State": "available",
                                     "DefaultAssociationRouteTable": True, "DefaultPropagationRouteTable": True}]
propagations = []


def hexid(prefix, n):
    return "%s-%017x" % (prefix, n)


def perm(proto, lo, hi, cidr):
    return {"IpProtocol": proto, "FromPort": lo, "ToPort": hi, "IpRanges": [{"CidrIp": cidr}],
            "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}


for v in range(a.vpcs):
    net = "10.%d.%d" % (v // 256, v % 256)          # VPC v: 10.(v/256).(v%256).0/24
    vid, sid, att = hexid("vpc", v + 1), hexid("subnet", v + 1), "tgw-attach-%017x" % (v + 1)
    out["Vpcs"].append({"VpcId": vid, "CidrBlock": net + ".0/24", "State": "available",
                        "CidrBlockAssociationSet": [{"CidrBlock": net + ".0/24", "CidrBlockState": {"State": "associated"}}]})
    out["Subnets"].append({"SubnetId": sid, "VpcId": vid, "CidrBlock": net + ".0/24", "AvailabilityZone": "us-east-1a",
                           "State": "available"})
    out["RouteTables"].append({"RouteTableId": hexid("rtb", v + 1), "VpcId": vid,
                               "Associations": [{"Main": True, "RouteTableAssociationId": hexid("rtbassoc", v + 1)}],
                               "Routes": [{"DestinationCidrBlock": net + ".0/24", "GatewayId": "local", "State": "active"},
                                          {"DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": tgw, "State": "active"}]})
    # NACL: entry k allows tcp to/from a /24 of another VPC on one port, the last allows the
    # rest of 10/8, then the `*`.
    entries = []
    for egress in (False, True):
        for k in range(a.nacl_entries):
            other = (v + 1 + k) % a.vpcs
            if k == a.nacl_entries - 1:
                entries.append({"RuleNumber": 100 * (k + 1), "Egress": egress, "Protocol": "-1", "RuleAction": "allow",
                                "CidrBlock": "10.0.0.0/8"})
            else:
                entries.append({"RuleNumber": 100 * (k + 1), "Egress": egress, "Protocol": "6",
                                "RuleAction": "deny" if k % 4 == 3 else "allow",
                                "CidrBlock": "10.%d.%d.0/24" % (other // 256, other % 256),
                                "PortRange": {"From": 1000 + k, "To": 1000 + k}})
    out["NetworkAcls"].append({"NetworkAclId": hexid("acl", v + 1), "VpcId": vid, "IsDefault": True,
                               "Associations": [{"NetworkAclAssociationId": hexid("aclassoc", v + 1),
                                                 "NetworkAclId": hexid("acl", v + 1), "SubnetId": sid}],
                               "Entries": entries})
    groups = []
    for g in range(a.groups):
        gid = hexid("sg", v * 16 + g + 1)
        groups.append(gid)
        ingress = [perm("tcp", 2000 + 100 * g + r, 2000 + 100 * g + r,
                        "10.%d.%d.0/24" % (((v + r) % a.vpcs) // 256, ((v + r) % a.vpcs) % 256)) for r in range(a.rules)]
        egress = [perm("tcp", 2000 + 100 * g + r, 2000 + 100 * g + r, "10.0.0.0/8") for r in range(a.rules)]
        out["SecurityGroups"].append({"GroupId": gid, "GroupName": "tier-%d-%d" % (v, g), "VpcId": vid,
                                      "Description": "generated", "IpPermissions": ingress, "IpPermissionsEgress": egress})
    for e in range(a.enis_per_vpc):
        n = v * 100 + e + 1
        out["NetworkInterfaces"].append({
            "NetworkInterfaceId": hexid("eni", n), "SubnetId": sid, "VpcId": vid, "AvailabilityZone": "us-east-1a",
            "InterfaceType": "interface", "Status": "in-use", "SourceDestCheck": True, "Ipv6Addresses": [],
            "MacAddress": "02:%02x:%02x:%02x:%02x:01" % ((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255),
            "PrivateIpAddress": "%s.%d" % (net, 10 + e),
            "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": "%s.%d" % (net, 10 + e)}],
            "Attachment": {"AttachmentId": hexid("eni-attach", n), "InstanceId": hexid("i", n), "DeviceIndex": 0,
                           "Status": "attached", "DeleteOnTermination": True},
            "Groups": [{"GroupId": g} for g in groups]})
    out["TransitGatewayAttachments"].append({
        "TransitGatewayAttachmentId": att, "TransitGatewayId": tgw, "ResourceType": "vpc", "ResourceId": vid,
        "ResourceOwnerId": "111122223333", "State": "available",
        "Association": {"State": "associated", "TransitGatewayRouteTableId": tgw_rtb}})
    out["TransitGatewayVpcAttachments"].append({
        "TransitGatewayAttachmentId": att, "TransitGatewayId": tgw, "VpcId": vid, "VpcOwnerId": "111122223333",
        "State": "available", "SubnetIds": [sid],
        "Options": {"ApplianceModeSupport": "disable", "DnsSupport": "enable", "Ipv6Support": "disable"}})
    propagations.append({"TransitGatewayAttachmentId": att, "ResourceId": vid, "ResourceType": "vpc", "State": "enabled"})

out["TransitGatewayPropagations"] = [{"TransitGatewayRouteTableId": tgw_rtb,
                                      "TransitGatewayRouteTablePropagations": propagations}]
json.dump(out, sys.stdout)
