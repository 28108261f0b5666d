package testbed.hapi;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * HTTP Basic authentication for every request it is mapped to (/fhir/*, metadata included).
 * Answers 401 with a WWW-Authenticate challenge and a FHIR OperationOutcome body otherwise.
 */
final class BasicAuthFilter extends OncePerRequestFilter {
	private final byte[] expected;

	BasicAuthFilter(String user, String password) {
		this.expected = (user + ":" + password).getBytes(StandardCharsets.UTF_8);
	}

	@Override
	protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
			throws ServletException, IOException {
		if (authorized(req.getHeader("Authorization"))) {
			chain.doFilter(req, resp);
			return;
		}
		resp.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
		resp.setHeader("WWW-Authenticate", "Basic realm=\"fhir\", charset=\"UTF-8\"");
		resp.setContentType("application/fhir+json;charset=utf-8");
		resp.getWriter()
				.write("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
						+ "\"code\":\"login\",\"diagnostics\":\"Authentication required (HTTP Basic)\"}]}");
	}

	private boolean authorized(String header) {
		if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
			return false;
		}
		byte[] given;
		try {
			given = Base64.getDecoder().decode(header.substring(6).trim());
		} catch (IllegalArgumentException e) {
			return false;
		}
		return MessageDigest.isEqual(given, expected); // constant-time comparison
	}
}
