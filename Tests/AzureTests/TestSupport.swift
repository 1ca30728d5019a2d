import Azure
import HTTPClient

enum HTTPClientFactory {
    static func plain() throws -> HTTPClient { try HTTPClient(configuration: .init(proxy: .none)) }
}
