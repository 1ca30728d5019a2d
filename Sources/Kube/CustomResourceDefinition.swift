/// apiextensions.k8s.io/v1 CustomResourceDefinition: the members a generator writes and an API server serves from.
public struct CustomResourceDefinition: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.customResourceDefinition

    public var metadata = ObjectMeta()
    public var spec = Spec()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public static let codingFields: [CodingField<CustomResourceDefinition>] = objectFields() + [
        .always("spec", \.spec),
    ]

    public struct Spec: PreservingCodable, Hashable {
        public var group = ""
        public var names = Names()
        /// `Namespaced` or `Cluster`.
        public var scope = ""
        public var versions: [Version] = []
        public var unknownFields: [String: JSONValue] = [:]

        public init() {}

        public static let codingFields: [CodingField<Spec>] = [
            .always("group", \.group),
            .always("names", \.names),
            .always("scope", \.scope),
            .always("versions", \.versions),
        ]
    }

    public struct Names: PreservingCodable, Hashable {
        public var plural = ""
        public var singular = ""
        public var kind = ""
        public var listKind = ""
        /// Abbreviations kubectl accepts (`kubectl get sgc`).
        public var shortNames: [String] = []
        /// Groups such as `all` that `kubectl get CATEGORY` expands to.
        public var categories: [String] = []
        public var unknownFields: [String: JSONValue] = [:]

        public init() {}

        public static let codingFields: [CodingField<Names>] = [
            .always("plural", \.plural),
            .omitEmpty("singular", \.singular),
            .always("kind", \.kind),
            .omitEmpty("listKind", \.listKind),
            .omitEmpty("shortNames", \.shortNames),
            .omitEmpty("categories", \.categories),
        ]
    }

    public struct Version: PreservingCodable, Hashable {
        public var name = ""
        public var served = true
        /// Exactly one version of a CRD is stored.
        public var storage = true
        public var schema: JSONSchema?
        /// `subresources.status` present means `/status` is served and the main endpoint ignores status.
        public var hasStatusSubresource = false
        public var additionalPrinterColumns: [PrinterColumn] = []
        public var unknownFields: [String: JSONValue] = [:]

        public init() {}

        public static let codingFields: [CodingField<Version>] = [
            .always("name", \.name),
            .always("served", \.served),
            .always("storage", \.storage),
            .optional("schema", \.openAPIV3Schema),
            .omitEmpty("subresources", \.subresources),
            .omitEmpty("additionalPrinterColumns", \.additionalPrinterColumns),
        ]

        /// The wire shape `schema: {openAPIV3Schema: ...}`.
        private var openAPIV3Schema: VersionSchema? {
            get { schema.map { VersionSchema(openAPIV3Schema: $0) } }
            set { schema = newValue?.openAPIV3Schema }
        }

        /// The wire shape `subresources: {status: {}}`; the scale subresource is not modelled.
        private var subresources: [String: JSONValue] {
            get { hasStatusSubresource ? ["status": [:]] : [:] }
            set { hasStatusSubresource = newValue["status"] != nil }
        }
    }

    /// A column of `kubectl get`, read from the object with a simple JSONPath.
    public struct PrinterColumn: PreservingCodable, Hashable {
        public var name = ""
        /// `string`, `integer`, `number`, `boolean` or `date`.
        public var type = ""
        public var format = ""
        public var description = ""
        /// 0 shows in `kubectl get`; higher values only in `-o wide`.
        public var priority: Int32 = 0
        public var jsonPath = ""
        public var unknownFields: [String: JSONValue] = [:]

        public init() {}

        public init(name: String, type: String, jsonPath: String, description: String = "", priority: Int32 = 0,
                    format: String = "") {
            self.name = name
            self.type = type
            self.jsonPath = jsonPath
            self.description = description
            self.priority = priority
            self.format = format
        }

        public static let codingFields: [CodingField<PrinterColumn>] = [
            .always("name", \.name),
            .always("type", \.type),
            .omitEmpty("format", \.format),
            .omitEmpty("description", \.description),
            .omitEmpty("priority", \.priority),
            .always("jsonPath", \.jsonPath),
        ]
    }
}

/// `{openAPIV3Schema: ...}` of a CRD version.
struct VersionSchema: PreservingCodable, Hashable {
    var openAPIV3Schema = JSONSchema()
    var unknownFields: [String: JSONValue] = [:]

    init() {}

    init(openAPIV3Schema: JSONSchema) { self.openAPIV3Schema = openAPIV3Schema }

    static let codingFields: [CodingField<VersionSchema>] = [.always("openAPIV3Schema", \.openAPIV3Schema)]
}

extension CustomResourceDefinition {
    /// The definition of one resource with a single served and stored version, laid out as controller-gen does:
    /// the top-level schema lists `apiVersion`, `kind`, `metadata`, `spec` and (when given) `status`.
    public init(resource: ResourceDescriptor, description: String, spec: JSONSchema, status: JSONSchema?,
                shortNames: [String] = [], categories: [String] = [], printerColumns: [PrinterColumn] = []) {
        self.init()
        metadata.name = resource.qualifiedPlural
        self.spec.group = resource.group
        self.spec.scope = resource.namespaced ? "Namespaced" : "Cluster"
        self.spec.names.plural = resource.plural
        self.spec.names.singular = resource.singular
        self.spec.names.kind = resource.kind
        self.spec.names.listKind = resource.listKind
        self.spec.names.shortNames = shortNames
        self.spec.names.categories = categories

        var root = JSONSchema()
        root.type = "object"
        root.description = description
        root.properties["apiVersion"] = .string(
            "Versioned schema of this representation of the object; servers convert recognized schemas to the latest"
                + " internal value and may reject unrecognized values.")
        root.properties["kind"] = .string(
            "The REST resource this object represents, in CamelCase; servers may infer it from the endpoint.")
        var metadataSchema = JSONSchema()
        metadataSchema.type = "object"
        root.properties["metadata"] = metadataSchema
        root.properties["spec"] = spec
        root.properties["status"] = status

        var version = Version()
        version.name = resource.version
        version.schema = root
        version.hasStatusSubresource = status != nil
        version.additionalPrinterColumns = printerColumns
        self.spec.versions = [version]
    }
}
