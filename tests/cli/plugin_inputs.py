"""Small plugin inputs whose answers follow from how they are built, shared by the CLI's
plugin tests (test_cli_plugins.py) and the SQL extension's (tests/sql/test_plugins.py,
which checks SQL against the CLI on these very inputs): keyword-separable topics, a table
with obviously named columns and its glossary, and two taste groups of users.
"""

# text_classify: two topics, four documents of each (CORPUS[:4] space, CORPUS[4:] sport).
TOPICS = {"space": ["space", "orbit", "rocket"], "sport": ["team", "match", "game"]}
CORPUS = ["the rocket launch reached orbit", "nasa astronauts on the space station",
          "planets orbit the sun in space", "the shuttle returned from space orbit",
          "the team won the football match", "a goal in the last minute of the game",
          "fans cheered as the team scored", "the coach picked the players for the match"]

# table_match: birth_dt should match birth_date and gender_cd gender.
DDL = """CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY,
  birth_dt DATE,        -- date of birth
  gender_cd VARCHAR(1)  -- sex of the patient
);
"""
GLOSSARY = [{"id": "birth_date", "label": "Birth date", "description": "The date the person was born"},
            {"id": "gender", "label": "Gender", "description": "The sex of the person"},
            {"id": "visit_start", "label": "Visit start", "description": "When the visit started"}]


def interactions_tsv():
    """rec_unlearn's input: users a0..a9 like items x0..x7 and users b0..b9 items y0..y7
    (each user misses a quarter of their group's items), as "user<TAB>item<TAB>5" lines."""
    lines = []
    for u in range(10):
        for i in range(8):
            if (u + i) % 4 != 0:
                lines.append(f"a{u}\tx{i}\t5")
            if (u + i) % 4 != 1:
                lines.append(f"b{u}\ty{i}\t5")
    return "\n".join(lines) + "\n"
