#!/usr/bin/env python3
"""A large AWS network bundle for measuring `vpcfw diagram` (docs/diagram.md, "Rendering
time"): N ENIs (default 5000) over 4 VPCs x 2 AZs x 6 subnets (public, app, data tiers),
200 security groups in tiers that reference each other (web -> app -> db, shared groups),
an IGW and a NAT gateway per VPC. Deterministic (seed 1). Writes the bundle to stdout.
    scripts/gen_large_network.py [N [GROUPS_PER_VPC]] > net.json   (defaults 5000, 50)
"""
import json
import random
import sys

n_enis = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
n_groups = int(sys.argv[2]) if len(sys.argv) > 2 else 50
rng = random.Random(1)
vpcs, subnets, rtbs, sgs, acls, enis, igws, nats = [], [], [], [], [], [], [], []
tiers = ["public", "app", "data"]


def tag(name):
    return [{"Key": "Name", "Value": name}]


def perm(proto, port, cidr=None, group=None):
    p = {"IpProtocol": proto, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
    if proto != "-1":
        p["FromPort"] = port
        p["ToPort"] = port
    if cidr:
        p["IpRanges"].append({"CidrIp": cidr})
    if group:
        p["UserIdGroupPairs"].append({"GroupId": group})
    return p


tier_groups = {}
for v in range(4):
    vid = "vpc-%017x" % (v + 1)
    vpcs.append({"VpcId": vid, "CidrBlock": "10.%d.0.0/16" % v, "State": "available", "Tags": tag("vpc-%d" % v),
                 "CidrBlockAssociationSet": [{"CidrBlock": "10.%d.0.0/16" % v, "CidrBlockState": {"State": "associated"}}]})
    igw = "igw-%017x" % (v + 1)
    igws.append({"InternetGatewayId": igw, "Attachments": [{"State": "available", "VpcId": vid}], "Tags": tag("igw-%d" % v)})
    # n_groups per VPC in tiers: public (from the internet), app (from the group before), data.
    for g in range(n_groups):
        gid = "sg-%017x" % (v * 100000 + g + 1)
        tier = tiers[g % 3]
        ingress = []
        if tier == "public":
            ingress.append(perm("tcp", 443, cidr="0.0.0.0/0"))
        elif tier == "app":
            ingress.append(perm("tcp", 8080, group="sg-%017x" % (v * 100000 + (g - 1) + 1)))
        else:
            ingress.append(perm("tcp", 5432, group="sg-%017x" % (v * 100000 + (g - 1) + 1)))
        if g % 10 == 0:
            ingress.append(perm("tcp", 22, cidr="10.0.0.0/8"))
        sgs.append({"GroupId": gid, "GroupName": "%s-%d-%d" % (tier, v, g), "VpcId": vid, "Description": tier,
                    "IpPermissions": ingress, "IpPermissionsEgress": [perm("-1", None, cidr="0.0.0.0/0")]})
        tier_groups.setdefault((v, tier), []).append(gid)
    acl = "acl-%017x" % (v + 1)
    acls.append({"NetworkAclId": acl, "VpcId": vid, "IsDefault": True, "Associations": [], "Entries": [
        {"Egress": e, "Protocol": "-1", "RuleAction": "allow", "RuleNumber": 100, "CidrBlock": "0.0.0.0/0"} for e in (False, True)]})
    main = "rtb-%017x" % (v * 10 + 1)
    pub = "rtb-%017x" % (v * 10 + 2)
    nat = "nat-%017x" % (v + 1)
    rtbs.append({"RouteTableId": main, "VpcId": vid, "Tags": tag("private-%d" % v),
                 "Associations": [{"Main": True, "RouteTableAssociationId": "rtbassoc-%017x" % (v * 10 + 1)}],
                 "Routes": [{"DestinationCidrBlock": "10.%d.0.0/16" % v, "GatewayId": "local", "State": "active"},
                            {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat, "State": "active"}]})
    pub_assocs = []
    for az in range(2):
        for s in range(6):
            sid = "subnet-%017x" % (v * 100 + az * 10 + s + 1)
            tier = tiers[s % 3]
            subnets.append({"SubnetId": sid, "VpcId": vid, "CidrBlock": "10.%d.%d.0/24" % (v, az * 10 + s),
                            "AvailabilityZone": "us-east-1" + "ab"[az], "State": "available",
                            "Tags": tag("%s-%d-%s%d" % (tier, v, "ab"[az], s))})
            acls[-1]["Associations"].append({"NetworkAclAssociationId": "aclassoc-%017x" % (v * 100 + az * 10 + s + 1),
                                             "NetworkAclId": acl, "SubnetId": sid})
            if tier == "public":
                pub_assocs.append({"Main": False, "SubnetId": sid, "RouteTableAssociationId": "rtbassoc-%017x" % (v * 1000 + az * 10 + s + 100)})
                if az == 0 and s == 0:
                    nats.append({"NatGatewayId": nat, "VpcId": vid, "SubnetId": sid, "State": "available", "ConnectivityType": "public",
                                 "NatGatewayAddresses": [{"PublicIp": "198.51.100.%d" % (v + 1), "PrivateIp": "10.%d.0.5" % v,
                                                          "AllocationId": "eipalloc-%017x" % (v + 1),
                                                          "NetworkInterfaceId": "eni-f%016x" % (v + 1), "IsPrimary": True}]})
    rtbs.append({"RouteTableId": pub, "VpcId": vid, "Tags": tag("public-%d" % v), "Associations": pub_assocs,
                 "Routes": [{"DestinationCidrBlock": "10.%d.0.0/16" % v, "GatewayId": "local", "State": "active"},
                            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "State": "active"}]})

for i in range(n_enis):
    sub = subnets[i % len(subnets)]
    v = int(sub["VpcId"][4:], 16) - 1
    tier = tiers[(subnets.index(sub) % 6) % 3]
    groups = tier_groups[(v, tier)]
    # Mostly a few common group sets (autoscaling fleets), sometimes an odd one.
    gs = [groups[rng.randrange(3)]] if rng.random() < 0.9 else rng.sample(groups, 2)
    host = 10 + i // len(subnets)
    base = sub["CidrBlock"].split("/")[0].rsplit(".", 1)[0]
    enis.append({"NetworkInterfaceId": "eni-%017x" % (i + 1), "SubnetId": sub["SubnetId"], "VpcId": sub["VpcId"],
                 "AvailabilityZone": sub["AvailabilityZone"], "InterfaceType": "interface", "Status": "in-use",
                 "MacAddress": "02:00:%02x:%02x:%02x:01" % ((i >> 16) & 255, (i >> 8) & 255, i & 255),
                 "PrivateIpAddress": "%s.%d" % (base, host),
                 "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": "%s.%d" % (base, host)}],
                 "Groups": [{"GroupId": g} for g in gs], "SourceDestCheck": True, "Ipv6Addresses": []})

json.dump({"Vpcs": vpcs, "Subnets": subnets, "RouteTables": rtbs, "SecurityGroups": sgs, "NetworkAcls": acls,
           "NetworkInterfaces": enis, "InternetGateways": igws, "NatGateways": nats}, sys.stdout)
