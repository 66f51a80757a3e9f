# Placeholder: the models owner replaces this with the Auto-class and pipeline registration.
