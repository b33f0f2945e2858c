"""A tiny Rasa NLU file: enough for a fit in a second, in English, Hungarian and Korean."""

TINY_NLU = """version: "3.1"
nlu:
- intent: inquiry
  metadata: {language: en}
  examples: |
    - how do I apply for housing benefit
    - what documents do I need for the allowance
    - when is the office open
    - where can I get the application form
- intent: complaint
  metadata: {language: en}
  examples: |
    - the staff were rude to me at the counter
    - nobody answered my letter for weeks
    - I am unhappy with how my case was handled
    - the waiting room was dirty and cold
- intent: appointment_request
  metadata: {language: en}
  examples: |
    - I would like to book a visit on Monday
    - can I see a counsellor next week
    - please give me an appointment for Friday morning
    - book me a meeting with a social worker
- intent: inquiry
  metadata: {language: hu}
  examples: |
    - hogyan igényelhetek lakhatási támogatást
    - milyen iratok kellenek a segélyhez
- intent: complaint
  metadata: {language: hu}
  examples: |
    - az ügyintéző goromba volt velem
    - hetek óta nem válaszoltak a levelemre
- intent: appointment_request
  metadata: {language: hu}
  examples: |
    - szeretnék időpontot kérni hétfőre
    - foglalnék egy találkozót jövő hétre
- intent: inquiry
  metadata: {language: ko}
  examples: |
    - 주거급여 신청은 어떻게 하나요
- intent: complaint
  metadata: {language: ko}
  examples: |
    - 직원이 불친절했습니다
"""
