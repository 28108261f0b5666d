package synth

// Code tables: a few real-looking MIMIC codes per kind, enough to give the
// resources some variety. The values are made up; the shapes are MIMIC's.

const (
	mimicCS  = "http://mimic.mit.edu/fhir/mimic/CodeSystem/"
	mimicID  = "http://mimic.mit.edu/fhir/mimic/identifier/"
	loinc    = "http://loinc.org"
	obsCatCS = "http://terminology.hl7.org/CodeSystem/observation-category"
	padURL   = "http://minio-to-fhir.example/fhir/StructureDefinition/synth-padding"
)

type coded struct{ code, display string }

type measured struct {
	code, display, unit string
	lo, hi              float64 // normal range; values spread a bit beyond it
}

var careUnits = []coded{
	{"MICU", "Medical Intensive Care Unit (MICU)"}, {"SICU", "Surgical Intensive Care Unit (SICU)"},
	{"CVICU", "Cardiac Vascular Intensive Care Unit (CVICU)"}, {"CCU", "Coronary Care Unit (CCU)"},
	{"TSICU", "Trauma SICU (TSICU)"}, {"NICU", "Neuro Intermediate"}, {"MED", "Medicine"},
	{"SURG", "Surgery"}, {"CARD", "Medicine/Cardiology"}, {"ED", "Emergency Department"},
	{"OBS", "Emergency Department Observation"}, {"PACU", "PACU"}, {"ONC", "Hematology/Oncology"},
	{"NEURO", "Neurology"}, {"TRANS", "Transplant"}, {"VASC", "Vascular"},
}

var diagnoses = []coded{
	{"I10", "Essential (primary) hypertension"}, {"E785", "Hyperlipidemia, unspecified"},
	{"N179", "Acute kidney failure, unspecified"}, {"E119", "Type 2 diabetes mellitus without complications"},
	{"I4891", "Unspecified atrial fibrillation"}, {"J189", "Pneumonia, unspecified organism"},
	{"A419", "Sepsis, unspecified organism"}, {"K219", "Gastro-esophageal reflux disease without esophagitis"},
	{"F329", "Major depressive disorder, single episode, unspecified"}, {"I5023", "Acute on chronic systolic heart failure"},
	{"D649", "Anemia, unspecified"}, {"J449", "Chronic obstructive pulmonary disease, unspecified"},
	{"R079", "Chest pain, unspecified"}, {"R55", "Syncope and collapse"}, {"E871", "Hypo-osmolality and hyponatremia"},
}

var procedures = []coded{
	{"0DJ08ZZ", "Inspection of Upper Intestinal Tract, Endoscopic"}, {"02HV33Z", "Insertion of Infusion Device into Superior Vena Cava"},
	{"5A1955Z", "Respiratory Ventilation, Greater than 96 Consecutive Hours"}, {"0BH17EZ", "Insertion of Endotracheal Airway into Trachea"},
	{"3E0436Z", "Introduction of Nutritional Substance into Central Vein"}, {"B2111ZZ", "Fluoroscopy of Multiple Coronary Arteries"},
	{"0W9G3ZZ", "Drainage of Peritoneal Cavity, Percutaneous"}, {"30233N1", "Transfusion of Nonautologous Red Blood Cells"},
}

var icuProcedures = []coded{
	{"225792", "Invasive Ventilation"}, {"224385", "Intubation"}, {"225402", "EKG"},
	{"221214", "Transthoracic Echo"}, {"224275", "20 Gauge"}, {"225966", "Arterial Line"},
}

var edProcedures = []coded{{"triage", "Triage"}, {"vitalsign", "Vital sign check"}}

var medications = []string{
	"Furosemide", "Heparin", "Insulin", "Metoprolol Tartrate", "Acetaminophen", "Vancomycin",
	"Pantoprazole", "Docusate Sodium", "Senna", "Potassium Chloride", "Magnesium Sulfate",
	"Ondansetron", "Atorvastatin", "Aspirin", "Lisinopril", "Piperacillin-Tazobactam",
	"Oxycodone", "Morphine Sulfate", "Lorazepam", "Sodium Chloride 0.9%",
}

var routes = []coded{{"PO", "Oral"}, {"IV", "Intravenous"}, {"SC", "Subcutaneous"}, {"IH", "Inhalation"}}

var labs = []measured{
	{"50912", "Creatinine", "mg/dL", 0.5, 1.2}, {"50971", "Potassium", "mEq/L", 3.3, 5.1},
	{"50983", "Sodium", "mEq/L", 133, 145}, {"51222", "Hemoglobin", "g/dL", 12, 16},
	{"51301", "White Blood Cells", "K/uL", 4, 11}, {"50931", "Glucose", "mg/dL", 70, 100},
	{"51006", "Urea Nitrogen", "mg/dL", 6, 20}, {"51265", "Platelet Count", "K/uL", 150, 440},
	{"50882", "Bicarbonate", "mEq/L", 22, 32}, {"50902", "Chloride", "mEq/L", 96, 108},
	{"50868", "Anion Gap", "mEq/L", 8, 20}, {"50960", "Magnesium", "mg/dL", 1.6, 2.6},
}

var chartItems = []measured{
	{"220045", "Heart Rate", "bpm", 60, 100}, {"220210", "Respiratory Rate", "insp/min", 12, 20},
	{"220277", "O2 saturation pulseoxymetry", "%", 94, 100}, {"220179", "Non Invasive Blood Pressure systolic", "mmHg", 90, 140},
	{"220180", "Non Invasive Blood Pressure diastolic", "mmHg", 60, 90}, {"223761", "Temperature Fahrenheit", "degF", 97, 99.5},
	{"220739", "GCS - Eye Opening", "score", 1, 4}, {"224639", "Daily Weight", "kg", 50, 110},
}

var datetimeItems = []coded{
	{"224280", "Dialysis Catheter Placed"}, {"225754", "Last dose of Heparin"}, {"224290", "INV Line Insertion Date"},
	{"226552", "Cordis/Introducer Insertion Date"},
}

var outputItems = []measured{
	{"226559", "Foley", "mL", 50, 500}, {"226560", "Void", "mL", 100, 600}, {"227488", "GU Irrigant Volume In", "mL", 100, 1000},
	{"226583", "Rectal Tube", "mL", 50, 300}, {"226588", "Chest Tube #1", "mL", 10, 200},
}

var vitalSigns = []measured{
	{"8867-4", "Heart rate", "/min", 60, 100}, {"9279-1", "Respiratory rate", "/min", 12, 20},
	{"8310-5", "Body temperature", "[degF]", 97, 99.5}, {"2708-6", "Oxygen saturation in Arterial blood", "%", 94, 100},
	{"8480-6", "Systolic blood pressure", "mm[Hg]", 90, 140},
}

var edObservations = []coded{{"pain", "Pain score"}, {"acuity", "Acuity"}, {"chiefcomplaint", "Chief complaint"}}

var microTests = []coded{
	{"90039", "BLOOD CULTURE"}, {"90115", "URINE CULTURE"}, {"90201", "SPUTUM CULTURE"}, {"90145", "SWAB"},
}

var organisms = []coded{
	{"80002", "ESCHERICHIA COLI"}, {"80023", "STAPH AUREUS COAG +"}, {"80026", "PSEUDOMONAS AERUGINOSA"},
	{"80004", "KLEBSIELLA PNEUMONIAE"}, {"80053", "ENTEROCOCCUS SP."}, {"80155", "STAPHYLOCOCCUS, COAGULASE NEGATIVE"},
}

var antibiotics = []coded{
	{"90004", "AMPICILLIN"}, {"90016", "CEFTRIAXONE"}, {"90025", "GENTAMICIN"}, {"90012", "CIPROFLOXACIN"},
	{"90015", "VANCOMYCIN"}, {"90019", "MEROPENEM"}, {"90026", "TRIMETHOPRIM/SULFA"}, {"90010", "CEFEPIME"},
}

var interpretations = []coded{{"S", "Susceptible"}, {"S", "Susceptible"}, {"R", "Resistant"}, {"I", "Intermediate"}}

var specimenTypes = []coded{{"BLOOD", "Blood"}, {"URINE", "Urine"}, {"SPUTUM", "Sputum"}, {"SWAB", "Swab"}}
