"""The procedure's steps as pure functions: a case, who acts and when, in; edits to the front
matter out, or a Refusal that says in plain words what the procedure forbids and what to do."""
