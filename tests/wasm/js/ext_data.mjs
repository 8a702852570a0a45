// The small inline data with known answers that the extension tests share
// (extensions.test.mjs, callbacks.test.mjs); the Python tests use the same
// (bindings/python/tests/test_extensions.py).

export const SPACE = ['the rocket launch reached orbit', 'nasa astronauts on the space station',
  'a telescope saw a distant galaxy', 'the moon landing and the orbit of mars',
  'planets orbit the sun in the solar system', 'the shuttle crew returned from space'];
export const SPORT = ['the team won the football match', 'a goal in the last minute of the game',
  'the tennis player won the final', 'fans cheered as the team scored',
  'the coach picked the players for the match', 'a record in the marathon race'];
export const LABELS = { space: ['space', 'orbit', 'rocket'], sport: ['team', 'match', 'game'] };

export const DDL = `CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY, -- unique identifier of the patient
  birth_dt DATE,                  -- date of birth
  gender_cd VARCHAR(1)            -- sex of the patient
);`;
export const GLOSSARY = [
  { id: 'person_id', label: 'Person identifier', description: 'A unique identifier for each person' },
  { id: 'birth_date', label: 'Birth date', description: 'The date the person was born' },
  { id: 'gender', label: 'Gender', description: 'The sex of the person', synonyms: ['sex'] },
  { id: 'visit_start', label: 'Visit start date', description: 'When the visit started' },
];
