package testbed.hapi;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.elasticsearch.ElasticsearchDataAutoConfiguration;
import org.springframework.boot.autoconfigure.data.elasticsearch.ElasticsearchRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchClientAutoConfiguration;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.autoconfigure.quartz.QuartzAutoConfiguration;
import org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.context.annotation.Import;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Launcher of a HAPI FHIR JPA server (FHIR R4, H2 or PostgreSQL) for tests. HAPI brings its own
 * JPA set-up, schedulers and repositories, so the Boot auto-configurations that would compete with
 * them are excluded; the HAPI configuration classes are imported explicitly. See README.md.
 */
@SpringBootApplication(
		exclude = {
			HibernateJpaAutoConfiguration.class,
			JpaRepositoriesAutoConfiguration.class,
			QuartzAutoConfiguration.class,
			ThymeleafAutoConfiguration.class,
			FlywayAutoConfiguration.class,
			ElasticsearchClientAutoConfiguration.class,
			ElasticsearchRestClientAutoConfiguration.class,
			ElasticsearchDataAutoConfiguration.class,
			ElasticsearchRepositoriesAutoConfiguration.class
		})
@Import({
	JpaR4Config.class, // FhirContext R4, generated DAOs/providers, JpaConfig
	HapiJpaConfig.class, // paging provider, stale-search deleter, fulltext svc stub, resource count cache
	ThreadPoolFactoryConfig.class,
	JpaBatch2Config.class, // batch2 job persistence (used by $import, $expunge jobs, ...)
	Batch2JobsConfig.class, // batch2 job definitions incl. bulk import + BulkDataImportProvider
	SubscriptionChannelConfig.class // in-JVM channels that batch2 sends its work notifications on
})
public class HapiTestServer {

	static final long START_NANOS = System.nanoTime();

	public static void main(String[] args) {
		SpringApplication app = new SpringApplication(HapiTestServer.class);
		app.setDefaultProperties(defaultProperties(args));
		app.run(args);
	}

	/** Data source defaults derived from HAPI_DB (lowest precedence: --spring.datasource.url wins). */
	static Map<String, Object> defaultProperties(String[] args) {
		SimpleCommandLinePropertySource cli = new SimpleCommandLinePropertySource(args);
		String port = cli.getProperty("server.port");
		if (port == null) port = System.getProperty("server.port");
		if (port == null) port = System.getenv("SERVER_PORT");
		if (port == null) port = "8080";

		String db = Settings.env("HAPI_DB", "mem");
		Map<String, Object> p = new HashMap<>();
		if (db.startsWith("jdbc:postgresql:")) {
			// PostgreSQL: the URL as given; the credentials come from the environment (never argv).
			p.put("spring.datasource.url", db);
			p.put("spring.datasource.driver-class-name", "org.postgresql.Driver");
			p.put("spring.datasource.username", Settings.env("HAPI_DB_USER", "postgres"));
			p.put("spring.datasource.password", System.getenv().getOrDefault("HAPI_DB_PASSWORD", ""));
			return p;
		}
		String url;
		if (db.equals("mem")) {
			// One H2 in-memory database per JVM; the port in the name keeps logs of parallel servers apart.
			url = "jdbc:h2:mem:hapi-" + port + ";DB_CLOSE_DELAY=-1";
		} else {
			// File-backed: H2 wants an absolute path (or ./relative); it writes <prefix>.mv.db.
			// DB_CLOSE_ON_EXIT=FALSE: Spring closes the pool (and so the database) on shutdown.
			// TRACE_LEVEL_FILE=0: no <prefix>.trace.db full of Hibernate's harmless failed attempts
			// to create HTE_* temporary tables at start-up. WRITE_DELAY=0: a commit is on disk when
			// acknowledged, so a server killed with SIGKILL keeps every write it confirmed.
			String abs = Path.of(db).toAbsolutePath().normalize().toString();
			url = "jdbc:h2:file:" + abs + ";DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0;WRITE_DELAY=0";
		}
		p.put("spring.datasource.url", url);
		p.put("spring.datasource.driver-class-name", "org.h2.Driver");
		p.put("spring.datasource.username", "sa");
		p.put("spring.datasource.password", "");
		return p;
	}
}
