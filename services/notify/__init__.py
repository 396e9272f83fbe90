"""notify: messages, to-dos, e-mail, reminders, ratings, the agency event stream."""
