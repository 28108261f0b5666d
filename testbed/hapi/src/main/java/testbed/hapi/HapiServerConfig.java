package testbed.hapi;

import ca.uhn.fhir.batch2.jobs.imprt.BulkDataImportProvider;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.config.JpaConfig;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.transaction.annotation.EnableTransactionManagement;

import java.util.Map;
import javax.sql.DataSource;

@Configuration
@EnableTransactionManagement
public class HapiServerConfig {

	public static final String FHIR_PATH = "/fhir";

	// ---- storage settings -------------------------------------------------------------------

	@Bean
	public JpaStorageSettings storageSettings(Environment env) {
		JpaStorageSettings s = new JpaStorageSettings();

		String strategy = Settings.env("HAPI_CLIENT_ID_STRATEGY", "ALPHANUMERIC").toUpperCase();
		switch (strategy) {
			case "ALPHANUMERIC":
				s.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ALPHANUMERIC);
				break;
			case "ANY":
				// Numeric client ids would collide with sequential server ids, so HAPI requires UUIDs.
				s.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
				s.setResourceServerIdStrategy(JpaStorageSettings.IdStrategyEnum.UUID);
				break;
			default:
				throw new IllegalArgumentException("HAPI_CLIENT_ID_STRATEGY must be ALPHANUMERIC or ANY, got: " + strategy);
		}

		boolean integrity = Settings.envBool("HAPI_REFERENTIAL_INTEGRITY", true);
		s.setEnforceReferentialIntegrityOnWrite(integrity);
		s.setEnforceReferentialIntegrityOnDelete(integrity);
		s.setAutoCreatePlaceholderReferenceTargets(Settings.envBool("HAPI_AUTO_CREATE_PLACEHOLDERS", false));

		// Conditional references such as "Practitioner?identifier=sys|val" (HAPI default: on).
		s.setAllowInlineMatchUrlReferences(true);

		// Test resets: $expunge (incl. expungeEverything) and conditional deletes of many resources.
		s.setExpungeEnabled(true);
		s.setDeleteExpungeEnabled(true);
		s.setAllowMultipleDelete(true);

		bulkLoadSettings(s, env);
		return s;
	}

	/**
	 * The settings HAPI documents for a first (bulk) load, as Spring properties under
	 * "hapi.fhir." named as in HAPI's starter project (-Dhapi.fhir.delete_enabled=false,
	 * --hapi.fhir.delete_enabled=false or HAPI_FHIR_DELETE_ENABLED=false). Unset, each keeps
	 * HAPI's default. Several only hold when chosen before the first row is written.
	 */
	static void bulkLoadSettings(JpaStorageSettings s, Environment env) {
		s.setMassIngestionMode(env.getProperty("hapi.fhir.mass_ingestion_mode_enabled", Boolean.class, s.isMassIngestionMode()));
		s.setDeleteEnabled(env.getProperty("hapi.fhir.delete_enabled", Boolean.class, s.isDeleteEnabled()));
		s.setMatchUrlCacheEnabled(env.getProperty("hapi.fhir.match_url_cache_enabled", Boolean.class, s.isMatchUrlCacheEnabled()));
		String tags = env.getProperty("hapi.fhir.tag_storage_mode");
		if (tags != null && !tags.isBlank()) {
			s.setTagStorageMode(JpaStorageSettings.TagStorageModeEnum.valueOf(tags.trim().toUpperCase()));
		}
		s.setIndexStorageOptimized(env.getProperty("hapi.fhir.index_storage_optimized", Boolean.class, s.isIndexStorageOptimized()));
		s.setSuppressStringIndexingInTokens(env.getProperty(
				"hapi.fhir.suppress_string_indexing_in_tokens", Boolean.class, s.isSuppressStringIndexingInTokens()));
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings(); // partitioning off
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		return new SubscriptionSettings(); // no subscription types enabled
	}

	// ---- JPA --------------------------------------------------------------------------------

	/** HAPI's own factory (its Hibernate contributors and defaults) on Boot's data source. */
	@Bean
	@Primary
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource,
			Environment env) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(dataSource);
		Map<String, Object> props = emf.getJpaPropertyMap();
		props.put("hibernate.dialect", dialect(env.getProperty("spring.datasource.url", "")));
		props.put("hibernate.hbm2ddl.auto", "update");
		props.put("hibernate.search.enabled", "false");
		props.put("hibernate.format_sql", "false");
		props.put("hibernate.show_sql", "false");
		// No WARN per harmless SQL warning (PostgreSQL: "constraint ... does not exist, skipping"
		// from the schema update at every start).
		props.put("hibernate.jdbc.log.warnings", "false");
		// JDBC batching: 20 statements (HAPI's factory would choose 30); HAPI's factory also turns
		// hibernate.order_inserts and order_updates on. Spring properties of the same names win
		// (-Dhibernate.jdbc.batch_size=50 -Dhibernate.order_inserts=false ...).
		props.put("hibernate.jdbc.batch_size", env.getProperty("hibernate.jdbc.batch_size", "20"));
		for (String name : new String[] {"hibernate.order_inserts", "hibernate.order_updates"}) {
			String v = env.getProperty(name);
			if (v != null && !v.isBlank()) props.put(name, v.trim());
		}
		props.put("hibernate.cache.use_query_cache", "false");
		props.put("hibernate.cache.use_second_level_cache", "false");
		props.put("hibernate.cache.use_structured_entries", "false");
		props.put("hibernate.cache.use_minimal_puts", "false");
		return emf;
	}

	/** HAPI's dialect for the database the JDBC URL names: PostgreSQL, or else H2. */
	static String dialect(String jdbcUrl) {
		if (jdbcUrl.startsWith("jdbc:postgresql:")) {
			return "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect";
		}
		return "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}

	// ---- REST server ------------------------------------------------------------------------

	@Bean
	public RestfulServer restfulServer(
			FhirContext fhirContext,
			IFhirSystemDao<?, ?> systemDao,
			JpaSystemProvider<?, ?> systemProvider,
			ResourceProviderFactory resourceProviders,
			JpaStorageSettings storageSettings,
			ISearchParamRegistry searchParamRegistry,
			@Qualifier(JpaConfig.JPA_VALIDATION_SUPPORT_CHAIN) IValidationSupport validationSupport,
			DatabaseBackedPagingProvider pagingProvider,
			BulkDataImportProvider bulkDataImportProvider) {
		RestfulServer server = new RestfulServer(fhirContext);
		server.registerProviders(resourceProviders.createProviders());
		server.registerProvider(systemProvider); // POST [base] batch/transaction, $expunge, ...
		server.registerProvider(bulkDataImportProvider); // POST [base]/$import
		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, systemDao, storageSettings, searchParamRegistry, validationSupport);
		capabilities.setImplementationDescription("HAPI FHIR R4 test server (minio-to-fhir testbed)");
		server.setServerConformanceProvider(capabilities);
		server.setPagingProvider(pagingProvider);
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		return server;
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer restfulServer) {
		ServletRegistrationBean<RestfulServer> reg = new ServletRegistrationBean<>(restfulServer, FHIR_PATH + "/*");
		reg.setName("fhirServlet");
		reg.setLoadOnStartup(1);
		return reg;
	}

	/** Basic auth on everything under /fhir when HAPI_AUTH_USER and HAPI_AUTH_PASSWORD are both set. */
	@Bean
	public FilterRegistrationBean<BasicAuthFilter> basicAuthFilter() {
		String user = Settings.env("HAPI_AUTH_USER", null);
		String password = System.getenv("HAPI_AUTH_PASSWORD");
		boolean on = user != null && password != null && !password.isEmpty();
		FilterRegistrationBean<BasicAuthFilter> reg =
				new FilterRegistrationBean<>(new BasicAuthFilter(on ? user : "", on ? password : ""));
		reg.addUrlPatterns(FHIR_PATH, FHIR_PATH + "/*");
		reg.setOrder(Integer.MIN_VALUE + 100);
		reg.setEnabled(on);
		return reg;
	}

	// ---- one line on stdout when ready -------------------------------------------------------

	@EventListener
	public void onReady(ApplicationReadyEvent event) {
		Environment env = event.getApplicationContext().getEnvironment();
		printBulkLoadSettings(event);
		String port = env.getProperty("local.server.port", env.getProperty("server.port", "8080"));
		String address = env.getProperty("server.address", "127.0.0.1");
		double secs = (System.nanoTime() - HapiTestServer.START_NANOS) / 1e9;
		boolean auth = Settings.env("HAPI_AUTH_USER", null) != null && System.getenv("HAPI_AUTH_PASSWORD") != null;
		System.out.printf(
				"HAPI FHIR test server ready: http://%s:%s%s (db=%s, auth=%s, clientIdStrategy=%s, "
						+ "referentialIntegrity=%s, autoCreatePlaceholders=%s) started in %.1f s%n",
				address, port, FHIR_PATH,
				env.getProperty("spring.datasource.url"),
				auth ? "basic" : "off",
				Settings.env("HAPI_CLIENT_ID_STRATEGY", "ALPHANUMERIC").toUpperCase(),
				Settings.envBool("HAPI_REFERENTIAL_INTEGRITY", true),
				Settings.envBool("HAPI_AUTO_CREATE_PLACEHOLDERS", false),
				secs);
		System.out.flush();
	}

	/** The bulk-load settings in effect, read back from the beans, on one line of stdout. */
	private static void printBulkLoadSettings(ApplicationReadyEvent event) {
		var ctx = event.getApplicationContext();
		JpaStorageSettings s = ctx.getBean(JpaStorageSettings.class);
		Map<String, Object> jpa = ctx.getBean(LocalContainerEntityManagerFactoryBean.class).getJpaPropertyMap();
		DataSource ds = ctx.getBean(DataSource.class);
		String pool = ds instanceof HikariDataSource h ? String.valueOf(h.getMaximumPoolSize()) : "?";
		System.out.printf(
				"HAPI FHIR test server settings: massIngestionMode=%s deleteEnabled=%s matchUrlCacheEnabled=%s "
						+ "tagStorageMode=%s indexStorageOptimized=%s suppressStringIndexingInTokens=%s "
						+ "hibernate.jdbc.batch_size=%s hibernate.order_inserts=%s hibernate.order_updates=%s "
						+ "hikari.maximumPoolSize=%s%n",
				s.isMassIngestionMode(), s.isDeleteEnabled(), s.isMatchUrlCacheEnabled(), s.getTagStorageMode(),
				s.isIndexStorageOptimized(), s.isSuppressStringIndexingInTokens(),
				jpa.get("hibernate.jdbc.batch_size"), jpa.getOrDefault("hibernate.order_inserts", "false"),
				jpa.getOrDefault("hibernate.order_updates", "false"), pool);
	}
}
