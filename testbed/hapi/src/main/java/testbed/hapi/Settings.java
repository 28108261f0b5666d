package testbed.hapi;

/** Reads the launcher's settings from environment variables (see README.md). */
final class Settings {
	private Settings() {}

	static String env(String name, String dflt) {
		String v = System.getenv(name);
		return (v == null || v.isBlank()) ? dflt : v.trim();
	}

	static boolean envBool(String name, boolean dflt) {
		String v = env(name, null);
		if (v == null) return dflt;
		switch (v.toLowerCase()) {
			case "true": case "1": case "yes": case "on": return true;
			case "false": case "0": case "no": case "off": return false;
			default: throw new IllegalArgumentException(name + " must be true or false, got: " + v);
		}
	}
}
