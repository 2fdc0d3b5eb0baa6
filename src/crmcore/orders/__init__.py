"""Orders and payments (订单与回款): milestones credited to the reps who owned the
customer at the business time of each."""
