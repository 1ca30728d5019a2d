import Kube

/// RBAC as kube-apiserver evaluates it, from the Roles, ClusterRoles and bindings in the store: a request is
/// allowed when a binding for the user (by name, group or service account) grants a rule matching the API group,
/// resource (or `resource/subresource`), verb and, when the rule lists them, the object name.
/// Members of `system:masters` may do everything.
struct RBACAuthorizer {
    let state: StoreState

    private static let group = "rbac.authorization.k8s.io"

    func allows(_ user: UserInfo, verb: String, target: ResourceTarget) -> Bool {
        if user.groups.contains("system:masters") { return true }
        let resource = target.subresource.map { "\(target.type.plural)/\($0.rawValue)" } ?? target.type.plural
        let matches: (JSONValue) -> Bool = { rule in
            Self.rule(rule, allows: verb, group: target.type.group, resource: resource, name: target.name)
        }
        for binding in objects("clusterrolebindings") where binds(binding, to: user) {
            if roleRules(binding, namespace: nil).contains(where: matches) { return true }
        }
        guard target.type.namespaced, let namespace = target.namespace else { return false }
        for binding in objects("rolebindings") where binding.namespace == namespace && binds(binding, to: user) {
            if roleRules(binding, namespace: namespace).contains(where: matches) { return true }
        }
        return false
    }

    private func objects(_ plural: String) -> [JSONValue] {
        Array((state.objects[ResourceKey(group: Self.group, plural: plural)] ?? [:]).values)
    }

    private func binds(_ binding: JSONValue, to user: UserInfo) -> Bool {
        (binding["subjects"]?.arrayValue ?? []).contains { subject in
            let name = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User": return name == user.name
            case "Group": return user.groups.contains(name)
            case "ServiceAccount":
                let namespace = subject["namespace"]?.stringValue ?? binding.namespace
                return user.name == "system:serviceaccount:\(namespace):\(name)"
            default: return false
            }
        }
    }

    private func roleRules(_ binding: JSONValue, namespace: String?) -> [JSONValue] {
        let kind = binding["roleRef"]?["kind"]?.stringValue
        let name = binding["roleRef"]?["name"]?.stringValue ?? ""
        let role: JSONValue?
        if kind == "ClusterRole" {
            role = state.objects[ResourceKey(group: Self.group, plural: "clusterroles")]?[ObjectKey(namespace: "", name: name)]
        } else if kind == "Role", let namespace {
            role = state.objects[ResourceKey(group: Self.group, plural: "roles")]?[ObjectKey(namespace: namespace, name: name)]
        } else {
            role = nil
        }
        return role?["rules"]?.arrayValue ?? []
    }

    private static func rule(_ rule: JSONValue, allows verb: String, group: String, resource: String, name: String?)
        -> Bool
    {
        func strings(_ key: String) -> [String] { (rule[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        let verbs = strings("verbs")
        guard verbs.contains(verb) || verbs.contains("*") else { return false }
        let groups = strings("apiGroups")
        guard groups.contains(group) || groups.contains("*") else { return false }
        let resources = strings("resources")
        let base = resource.split(separator: "/").first.map(String.init) ?? resource
        let resourceMatches = resources.contains(resource) || resources.contains("*")
            || (resource.contains("/") && resources.contains("*/" + resource.split(separator: "/").last!))
            || (!resource.contains("/") && resources.contains(base))
        guard resourceMatches else { return false }
        let names = strings("resourceNames")
        if names.isEmpty { return true }
        guard let name else { return false }
        return names.contains(name)
    }

    /// `pods "web" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`.
    static func forbidden(_ user: UserInfo, verb: String, target: ResourceTarget) -> APIError {
        let type = target.type
        let subject = target.name.map { "\(type.qualifiedPlural) \"\($0)\"" } ?? type.qualifiedPlural
        var resource = "resource \"\(type.plural)\""
        if let subresource = target.subresource { resource += " subresource \"\(subresource.rawValue)\"" }
        let scope = type.namespaced && target.namespace != nil
            ? "in the namespace \"\(target.namespace!)\"" : "at the cluster scope"
        return APIError(code: 403, reason: .forbidden,
                        message: "\(subject) is forbidden: User \"\(user.name)\" cannot \(verb) \(resource) in API group \"\(type.group)\" \(scope)",
                        details: StatusDetails(name: target.name ?? "", group: type.group, kind: type.plural))
    }
}
