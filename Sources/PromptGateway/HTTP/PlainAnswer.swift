import EndpointModel
import HTTPTypes
import Hummingbird
import NIOCore

/// An answer whose body is whole: what a front gives either server, Hummingbird's router or
/// `DirectFrontHandler` on the event loop, to send.
struct PlainAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    /// A JSON answer.
    init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], json body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.headers[.contentType] = "application/json"
        self.body = body
    }

    /// A JSON answer, rendered compactly.
    init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], json value: JSONValue) {
        self.init(status: status, headers: headers, json: ByteBuffer(string: CanonicalJSON.render(value, pretty: false)))
    }

    /// The answer as Hummingbird's response.
    var response: Response {
        Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
